{% macro raw_file_stats(source_name, base_relation, timestamp_column) %}
    {{- return(adapter.dispatch('raw_file_stats', 'feed_training_data')(
        source_name, base_relation, timestamp_column)) -}}
{% endmacro %}

{% macro default__raw_file_stats(source_name, base_relation, timestamp_column) %}
    {#- A query with one row per raw file of `source_name` that is new to the
        ledger: source_file, raw_rows, rows_with_day, min_row_date,
        max_row_date. Engines without a Parquet footer reader (Spark): from
        the rows the run already read (the base table), no further read of
        the raw files. -#}
    {{ raw_file_stats_from_rows(source_name, base_relation) }}
{%- endmacro %}

{% macro duckdb__raw_file_stats(source_name, base_relation, timestamp_column) %}
    {#- DuckDB: from the Parquet footers (row counts, null counts, min and max
        statistics of the timestamp column), without reading the rows. A file
        whose footer cannot answer exactly (a timestamp stored as text or as a
        plain integer, or written without statistics) is counted from the
        rows the run read instead. -#}
    {%- set files = raw_files_to_read(source_name, which='new') -%}
    {%- if files is none -%}
        {%- set footers_of = sql_string(raw_glob(source_name)) -%}
    {%- elif files | length > 0 -%}
        {%- set footers_of = raw_file_list_literal(files) -%}
    {%- endif -%}
    with

    {% if footers_of is defined -%}
    timestamp_chunks as (

        select
            file_name,
            row_group_num_rows,
            num_values - stats_null_count as values_with_day,
            type in ('INT64', 'INT96')
            and stats_null_count is not null
            and (
                num_values = stats_null_count
                or (
                    try_cast(stats_min_value as timestamptz) is not null
                    and try_cast(stats_max_value as timestamptz) is not null
                )
            ) as has_exact_statistics,
            cast(cast(try_cast(stats_min_value as timestamptz) as timestamp) as date)
                as min_row_date,
            cast(cast(try_cast(stats_max_value as timestamptz) as timestamp) as date)
                as max_row_date
        from parquet_metadata({{ footers_of }})
        where path_in_schema = '{{ timestamp_column }}'

    ),

    files_from_footers as (

        select
            {{ relative_source_file('file_name') }} as source_file,
            sum(row_group_num_rows) as raw_rows,
            sum(values_with_day) as rows_with_day,
            min(min_row_date) as min_row_date,
            max(max_row_date) as max_row_date
        from timestamp_chunks
        group by file_name
        having bool_and(has_exact_statistics)

    ),
    {%- else -%}
    files_from_footers as (

        select
            cast(null as varchar) as source_file,
            cast(null as bigint) as raw_rows,
            cast(null as bigint) as rows_with_day,
            cast(null as date) as min_row_date,
            cast(null as date) as max_row_date
        where false

    ),
    {%- endif %}

    files_from_rows as (

        {{ raw_file_stats_from_rows(
            source_name, base_relation,
            except_files='select source_file from files_from_footers') }}

    )

    select * from files_from_footers
    union all
    select * from files_from_rows
{%- endmacro %}
