{#- Clean impressions: valid rows with exact duplicates folded into one
    (`duplicates_removed` counts the extra copies). Incremental by day: a
    refresh takes the window's days from the raw rows its run read. -#}
{{ daily_incremental('impression_date') }}
{%- set plan = refresh_plan() %}
{{ assert_raw_rows_read(ref('base_feed__impressions'), 'impressions', plan) }}

with

impressions as (

    select
        typed_user_id as user_id,
        typed_tweet_id as tweet_id,
        source_file,
        typed_impression_ts as impression_ts
    from {{ ref('base_feed__impressions') }}
    where
        reject_reason is null
    {%- if is_incremental() %}
            and {{ in_refresh_window('row_date', plan) }}
        {%- endif %}

),

impressions_deduplicated as (

    select
        user_id,
        tweet_id,
        min(source_file) as source_file,
        count(*) - 1 as duplicates_removed,
        cast(impression_ts as date) as impression_date,
        impression_ts
    from impressions
    group by user_id, tweet_id, impression_ts

)

select * from impressions_deduplicated
