{#- Every raw row that staging could not use, from both logs, as text, with
    the reason. Nothing leaves staging without landing here or in a clean
    model. -#}
with

impressions_rejected as (

    select
        'impressions' as source_name,
        reject_reason,
        raw_user_id,
        raw_tweet_id,
        cast(null as {{ dbt.type_string() }}) as raw_action,
        raw_impression_ts as raw_event_ts,
        source_file,
        cast(typed_impression_ts as date) as event_date
    from {{ ref('base_feed__impressions') }}
    where reject_reason is not null

),

engagements_rejected as (

    select
        'engagements' as source_name,
        reject_reason,
        raw_user_id,
        raw_tweet_id,
        raw_action,
        raw_engagement_ts as raw_event_ts,
        source_file,
        cast(typed_engagement_ts as date) as event_date
    from {{ ref('base_feed__engagements') }}
    where reject_reason is not null

),

rejected_rows as (

    select * from impressions_rejected
    union all
    select * from engagements_rejected

)

select * from rejected_rows
