{#- Clean engagements: valid rows with a canonical action, exact duplicates
    (same user, tweet, action and time) folded into one. Incremental by day
    like the impressions. -#}
{{ daily_incremental('engagement_date') }}
{%- set plan = refresh_plan() %}
{{ assert_raw_rows_read(ref('base_feed__engagements'), 'engagements', plan) }}

with

engagements as (

    select
        typed_user_id as user_id,
        typed_tweet_id as tweet_id,
        canonical_action as action,
        source_file,
        typed_engagement_ts as engagement_ts
    from {{ ref('base_feed__engagements') }}
    where
        reject_reason is null
    {%- if is_incremental() %}
            and {{ in_refresh_window('row_date', plan) }}
        {%- endif %}

),

engagements_deduplicated as (

    select
        user_id,
        tweet_id,
        action,
        min(source_file) as source_file,
        count(*) - 1 as duplicates_removed,
        cast(engagement_ts as date) as engagement_date,
        engagement_ts
    from engagements
    group by user_id, tweet_id, action, engagement_ts

)

select * from engagements_deduplicated
