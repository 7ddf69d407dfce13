{#- Every raw row that staging could not use, from both logs, as text, with
    the reason. Nothing leaves staging without landing here or in a clean
    model. Besides the invalid rows, a refresh files here as `too_late` the
    valid rows that arrive in a new file for a day before its refresh window
    (past the re-open horizon). Incremental by day; rows without a day come
    once, from the run that first sees their file. -#}
{{ daily_incremental('row_date', also_delete_new_files=true) }}

{%- set window = refresh_window() -%}
{{ assert_raw_rows_read(ref('base_feed__impressions'), 'impressions') }}
{{ assert_raw_rows_read(ref('base_feed__engagements'), 'engagements') }}

with

impressions as (

    select
        reject_reason,
        raw_user_id,
        raw_tweet_id,
        raw_impression_ts as raw_event_ts,
        source_file,
        source_row_number,
        row_date
    from {{ ref('base_feed__impressions') }}

),

engagements as (

    select
        reject_reason,
        raw_user_id,
        raw_tweet_id,
        raw_action,
        raw_engagement_ts as raw_event_ts,
        source_file,
        source_row_number,
        row_date
    from {{ ref('base_feed__engagements') }}

),

impressions_rejected as (

    select
        'impressions' as source_name,
        {{ rejection_reason_in_window('impressions', window) }} as reject_reason,
        raw_user_id,
        raw_tweet_id,
        cast(null as {{ dbt.type_string() }}) as raw_action,
        raw_event_ts,
        source_file,
        source_row_number,
        row_date
    from impressions

),

engagements_rejected as (

    select
        'engagements' as source_name,
        {{ rejection_reason_in_window('engagements', window) }} as reject_reason,
        raw_user_id,
        raw_tweet_id,
        raw_action,
        raw_event_ts,
        source_file,
        source_row_number,
        row_date
    from engagements

),

rejected_rows as (

    select * from impressions_rejected
    union all
    select * from engagements_rejected

)

select * from rejected_rows
where reject_reason is not null
