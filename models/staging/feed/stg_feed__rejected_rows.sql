{#- Every raw row that staging could not use, from both logs, as text, with
    the reason. Nothing leaves staging without landing here or in a clean
    model. Besides the invalid rows, a refresh files here as `too_late` the
    valid rows that arrive in a new file for a day before its refresh window
    (past the re-open horizon). Incremental by day; rows without a day come
    once, from the run that first sees their file. -#}
{{ daily_incremental('row_date', also_delete_new_files=true) }}

{%- set plan = refresh_plan() -%}
{{ assert_raw_rows_read(ref('base_feed__impressions'), 'impressions', plan) }}
{{ assert_raw_rows_read(ref('base_feed__engagements'), 'engagements', plan) }}
{#- Why a row read by this run is rejected, or null: its reject_reason for a
    row of the window's days; for a row without a day, or of a day before the
    window, only when this run is the first to see its file, and then
    `too_late` if it is valid. On a full build every file is new and the
    window is everything. -#}
{%- set rejection_reason = {} -%}
{%- for source_name in ['impressions', 'engagements'] -%}
    {%- set is_new_file = raw_files_predicate(plan, source_name, which='new') -%}
    {%- set reason -%}
        {%- if not is_incremental() or not is_refresh(plan) -%}
            reject_reason
        {%- else -%}
            case
                when row_date is null
                    then case when {{ is_new_file }} then reject_reason end
                {% if plan.start -%}
                when row_date < cast('{{ plan.start }}' as date)
                    then case when {{ is_new_file }} then coalesce(reject_reason, 'too_late') end
                {% endif -%}
                when {{ in_refresh_window('row_date', plan) }} then reject_reason
            end
        {%- endif -%}
    {%- endset -%}
    {%- do rejection_reason.update({source_name: reason}) -%}
{%- endfor %}

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
        {{ rejection_reason['impressions'] }} as reject_reason,
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
        {{ rejection_reason['engagements'] }} as reject_reason,
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
