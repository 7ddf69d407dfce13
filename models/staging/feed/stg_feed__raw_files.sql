{#- The ledger of raw files: one row per Parquet file of either log, recorded
    by the run that first sees it, with its rows and the days they cover. A
    refresh reads the files not in the ledger plus those holding rows of its
    window's days, and files as `too_late` the rows that a new file brings
    for days before the window. Delivered files are expected not to change;
    deliver corrections as new files. On DuckDB the counts come from the
    Parquet footers; elsewhere from the rows the run read. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{#- Built after the models that ask which files are new, so they all see the
    ledger as it was at the start of the run. -#}
-- depends_on: {{ ref('stg_feed__impressions') }}
-- depends_on: {{ ref('stg_feed__engagements') }}
-- depends_on: {{ ref('stg_feed__rejected_rows') }}

{%- set window = refresh_window() %}
{{ assert_raw_rows_read(ref('base_feed__impressions'), 'impressions') }}
{{ assert_raw_rows_read(ref('base_feed__engagements'), 'engagements') }}

with

impression_files as (

    {{ raw_file_stats('impressions', ref('base_feed__impressions'), 'impression_ts') }}

),

engagement_files as (

    {{ raw_file_stats('engagements', ref('base_feed__engagements'), 'engagement_ts') }}

),

new_files as (

    select
        'impressions' as source_name,
        *
    from impression_files
    union all
    select
        'engagements' as source_name,
        *
    from engagement_files

),

{# A run that plans a full window on an existing ledger (a first build that
   failed, run again) finds files the failed run recorded: record each once. -#}
{% if is_incremental() -%}
files_not_in_ledger as (

    select new_files.*
    from new_files
    left join {{ this }} as ledger
        on
            new_files.source_name = ledger.source_name
            and new_files.source_file = ledger.source_file
    where ledger.source_file is null

),
{%- else -%}
files_not_in_ledger as (

    select * from new_files

),
{%- endif %}

files as (

    select
        source_name,
        source_file,
        '{{ invocation_id }}' as first_seen_invocation_id,
        '{{ window.mode }}' as first_seen_window_mode,
        cast(raw_rows as bigint) as raw_rows,
        cast(rows_with_day as bigint) as rows_with_day,
        min_event_date,
        max_event_date,
        {{ dbt.current_timestamp() }} as first_seen_at
    from files_not_in_ledger

)

select * from files
