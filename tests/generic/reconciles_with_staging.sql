{% test reconciles_with_staging(model, source_name, timestamp_column) %}
{#- Per UTC day of the raw timestamp (null day for rows without one):
    raw rows = clean rows + rejected rows + removed duplicates.
    Returns the days that do not add up. Only the window's days are checked
    (on a full build, every day) (from the raw files that hold them). The raw rows are
    counted from the files (not the base table); a quarantined file is not
    read, and its rows are counted in the file ledger. -#}
{%- set clean_model = {
    'impressions': ref('stg_feed__impressions'),
    'engagements': ref('stg_feed__engagements'),
}[source_name] -%}
{#- The clean model's day column, which its table is partitioned on: a
    filter on it skips the other days' files on Spark. -#}
{%- set clean_date = {'impressions': 'impression_date', 'engagements': 'engagement_date'}[source_name] -%}

with

raw_rows as (

    select
        cast({{ cast_utc_timestamp(timestamp_column) }} as date)
            as row_date,
        count(*) as raw_rows,
        0 as clean_rows,
        0 as rejected_rows,
        0 as duplicates_removed
    from {{ raw_source(source_name) }}
    where {{ in_refresh_window(
        'cast(' ~ cast_utc_timestamp(timestamp_column) ~ ' as date)'
    ) }}
    group by 1

),

clean_rows as (

    select
        {{ clean_date }} as row_date,
        0 as raw_rows,
        count(*) as clean_rows,
        0 as rejected_rows,
        sum(duplicates_removed) as duplicates_removed
    from {{ clean_model }}
    where {{ in_refresh_window(clean_date) }}
    group by 1

),

rejected_rows as (

    select
        row_date,
        0 as raw_rows,
        0 as clean_rows,
        count(*) as rejected_rows,
        0 as duplicates_removed
    from {{ ref('stg_feed__rejected_rows') }}
    where
        source_name = '{{ source_name }}'
        and {{ in_refresh_window('row_date') }}
    group by 1

),

all_counts as (

    select * from raw_rows
    union all
    select * from clean_rows
    union all
    select * from rejected_rows

),

days_reconciled as (

    select
        row_date,
        sum(raw_rows) as raw_rows,
        sum(clean_rows) as clean_rows,
        sum(rejected_rows) as rejected_rows,
        sum(duplicates_removed) as duplicates_removed
    from all_counts
    group by row_date

)

select *
from days_reconciled
where raw_rows != clean_rows + rejected_rows + duplicates_removed

{% endtest %}
