{#- Clean engagements: valid rows with a canonical action, exact duplicates
    (same user, tweet, action and time) folded into one and credited to the
    file that delivered it first, like the impressions. Incremental by day
    like the impressions. -#}
{{ daily_incremental('engagement_date', rebuilds='rows') }}

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
            and {{ in_rows_window('row_date') }}
        {%- endif %}

),

{# The log's files in the order they were delivered, ranked: a lookup in
   a table of a few rows. -#}
deliveries as (

    select
        source_file,
        file_rank
    from {{ ref('stg_feed_files__deliveries') }}
    where source_name = 'engagements'

),

engagements_ranked as (

    select
        engagements.*,
        deliveries.file_rank
    from engagements
    left join deliveries
        on engagements.source_file = deliveries.source_file

),

{# One row per event; its copies credited to the file delivered first,
   the lowest rank (an integer is cheaper to compare than a path). -#}
engagements_deduplicated as (

    select
        user_id,
        tweet_id,
        action,
        min(file_rank) as first_file_rank,
        count(*) - 1 as duplicates_removed,
        engagement_ts
    from engagements_ranked
    group by user_id, tweet_id, action, engagement_ts

),

engagements_credited as (

    select
        engagements_deduplicated.user_id,
        engagements_deduplicated.tweet_id,
        engagements_deduplicated.action,
        deliveries.source_file,
        engagements_deduplicated.duplicates_removed,
        cast(engagements_deduplicated.engagement_ts as date) as engagement_date,
        engagements_deduplicated.engagement_ts
    from engagements_deduplicated
    left join deliveries
        on engagements_deduplicated.first_file_rank = deliveries.file_rank

)

select * from engagements_credited
