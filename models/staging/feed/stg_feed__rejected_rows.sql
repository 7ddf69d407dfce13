{#- Every raw row that staging could not use, from both logs, as text, with
    the reason. Nothing leaves staging without landing here or in a clean
    model. Besides the invalid rows, a refresh files here as `too_late` the
    valid rows that arrive in a new file for a day before its refresh window
    (past the re-open horizon). Incremental by day; rows without a day come
    once, from the run that first sees their file. -#}
{{ daily_incremental('row_date', also_delete_new_files=true, rebuilds='rows') }}
{#- Why a row read by this run is rejected, or null: its reject_reason for a
    row of the window's days; for a row without a day, or of a day before the
    window, only when this run is the first to see its file, and then
    `too_late` if it is valid. On a full build every file is new and the
    window starts before any day. -#}
{%- set rejection_reason -%}
    {%- if not is_incremental() -%}
        reject_reason
    {%- else -%}
        case
            when row_date is null
                then case when is_new_file then reject_reason end
            when row_date < {{ rows_window_start() }}
                then case when is_new_file then coalesce(reject_reason, 'too_late') end
            when {{ in_rows_window('row_date') }} then reject_reason
        end
    {%- endif -%}
{%- endset %}

with

{# The files this run is the first to read (the plan's is_new). -#}
planned_new_files as (

    select
        source_name,
        source_file
    from {{ ref('refresh_plan') }}
    where is_new and is_read

),

impressions as (

    select
        base_rows.reject_reason,
        base_rows.raw_user_id,
        base_rows.raw_tweet_id,
        base_rows.raw_impression_ts as raw_event_ts,
        base_rows.source_file,
        base_rows.source_row_number,
        new_files.source_file is not null as is_new_file,
        base_rows.row_date
    from {{ ref('base_feed__impressions') }} as base_rows
    left join planned_new_files as new_files
        on
            new_files.source_name = 'impressions'
            and base_rows.source_file = new_files.source_file

),

engagements as (

    select
        base_rows.reject_reason,
        base_rows.raw_user_id,
        base_rows.raw_tweet_id,
        base_rows.raw_action,
        base_rows.raw_engagement_ts as raw_event_ts,
        base_rows.source_file,
        base_rows.source_row_number,
        new_files.source_file is not null as is_new_file,
        base_rows.row_date
    from {{ ref('base_feed__engagements') }} as base_rows
    left join planned_new_files as new_files
        on
            new_files.source_name = 'engagements'
            and base_rows.source_file = new_files.source_file

),

impressions_rejected as (

    select
        'impressions' as source_name,
        {{ rejection_reason }} as reject_reason,
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
        {{ rejection_reason }} as reject_reason,
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
