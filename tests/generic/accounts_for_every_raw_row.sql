{% test accounts_for_every_raw_row(model, source_name, timestamp_column) %}
{#- Per raw file and UTC day: every raw row this run processed, read from
    the files themselves, is either in stg_feed__rejected_rows (by its file
    and row number) or, typed as staging types it, matches a clean row. And
    every file read holds the rows the file ledger counts for it. Returns
    each file and day with rows accounted for nowhere, and each file whose
    rows differ from its ledger count: the file is named. On a refresh, the
    rows processed are those of the window's days and every row of a file
    new to the run (too late or without a day). -#}
{%- set clean = {
    'impressions': ref('stg_feed__impressions'),
    'engagements': ref('stg_feed__engagements'),
}[source_name] -%}
{%- set clean_ts = {'impressions': 'impression_ts', 'engagements': 'engagement_ts'}[source_name] -%}
{#- The clean model's day column, which its table is partitioned on: a
    filter on it skips the other days' files on Spark. -#}
{%- set clean_date = {'impressions': 'impression_date', 'engagements': 'engagement_date'}[source_name] -%}
{%- set engagements = source_name == 'engagements' -%}

with

raw_rows as (

    select
        source_file,
        file_row_number,
        {{ cast_id('user_id') }} as user_id,
        {{ cast_id('tweet_id') }} as tweet_id,
        {%- if engagements %}
            lower(trim({{ dbt.cast('action', dbt.type_string()) }})) as folded_action,
        {%- endif %}
        {{ cast_utc_timestamp(timestamp_column) }} as event_ts,
        cast({{ cast_utc_timestamp(timestamp_column) }} as date) as row_date
    from {{ raw_source(source_name) }}

),

rows_processed as (

    select * from raw_rows
    where
        {{ in_refresh_window('row_date') }}
        or (
            (row_date is null or row_date < {{ refresh_window_start() }})
            and {{ is_new_raw_file(source_name) }}
        )

),

rejected as (

    select
        source_file,
        source_row_number
    from {{ ref('stg_feed__rejected_rows') }}
    where
        source_name = '{{ source_name }}'
        {#- Only the files this run read can hold the rows checked. #}
        and source_file in (
            select source_file from {{ ref('refresh_plan') }}
            where source_name = '{{ source_name }}' and is_read
        )

),

clean_keys as (

    select distinct
        user_id,
        tweet_id,
        {%- if engagements %}
            action,
        {%- endif %}
        {{ clean_ts }} as event_ts
    from {{ clean }}
    where {{ in_refresh_window(clean_date) }}

),

{% if engagements -%}
rows_keyed as (

    select
        rows_processed.*,
        {{ canonical_action('rows_processed.folded_action', 'action_aliases.action') }}
            as action
    from rows_processed
    left join {{ ref('action_aliases') }} as action_aliases
        on rows_processed.folded_action = action_aliases.alias

),
{%- else -%}
rows_keyed as (

    select * from rows_processed

),
{%- endif %}

rows_unaccounted as (

    select
        rows_keyed.source_file,
        rows_keyed.row_date,
        count(*) as unaccounted_rows
    from rows_keyed
    where
        not exists (
            select 1
            from rejected
            where
                rejected.source_file = rows_keyed.source_file
                and rejected.source_row_number = rows_keyed.file_row_number
        )
        and not exists (
            select 1
            from clean_keys
            where
                clean_keys.user_id = rows_keyed.user_id
                and clean_keys.tweet_id = rows_keyed.tweet_id
                {%- if engagements %}
                    and clean_keys.action = rows_keyed.action
                {%- endif %}
                and clean_keys.event_ts = rows_keyed.event_ts
        )
    group by rows_keyed.source_file, rows_keyed.row_date

),

rows_per_file as (

    select
        source_file,
        count(*) as rows_read
    from raw_rows
    group by source_file

),

ledger_mismatches as (

    select
        rows_per_file.source_file,
        cast(null as date) as row_date,
        rows_per_file.rows_read - ledger.raw_rows as unaccounted_rows
    from rows_per_file
    inner join ({{ current_raw_files(ref('raw_file_ledger')) }}) as ledger
        on
            ledger.source_name = '{{ source_name }}'
            and rows_per_file.source_file = ledger.source_file
    where rows_per_file.rows_read != ledger.raw_rows

)

select * from rows_unaccounted
union all
select * from ledger_mismatches

{% endtest %}
