{#- The ledger of raw files: one row per Parquet file of either log, recorded
    by the run that first sees it, with its rows and the days they cover. A
    refresh reads the files not in the ledger plus those holding rows of its
    window's days, and files as `too_late` the rows that a new file brings
    for days before the window. Delivered files are expected not to change;
    deliver corrections as new files. -#}
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

with

impression_rows as (

    select
        'impressions' as source_name,
        source_file,
        cast(typed_impression_ts as date) as event_date
    from {{ ref('base_feed__impressions') }}
    {% if is_incremental() -%}
        where {{ raw_files_predicate('impressions', which='new') }}
    {%- endif %}

),

engagement_rows as (

    select
        'engagements' as source_name,
        source_file,
        cast(typed_engagement_ts as date) as event_date
    from {{ ref('base_feed__engagements') }}
    {% if is_incremental() -%}
        where {{ raw_files_predicate('engagements', which='new') }}
    {%- endif %}

),

raw_rows as (

    select * from impression_rows
    union all
    select * from engagement_rows

),

files as (

    select
        source_name,
        source_file,
        '{{ invocation_id }}' as first_seen_invocation_id,
        '{{ window.mode }}' as first_seen_window_mode,
        count(*) as raw_rows,
        count(event_date) as rows_with_day,
        min(event_date) as min_event_date,
        max(event_date) as max_event_date,
        {{ dbt.current_timestamp() }} as first_seen_at
    from raw_rows
    group by source_name, source_file

)

select * from files
