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

{% macro raw_file_stats_from_rows(source_name, base_relation, except_files=none) %}
    {#- raw_file_stats counted from the base table's rows, for the new files
        (but those of the query `except_files`, a list of source_file). -#}
    select
        source_file,
        count(*) as raw_rows,
        count(row_date) as rows_with_day,
        min(row_date) as min_row_date,
        max(row_date) as max_row_date
    from {{ base_relation }}
    where
        {{ raw_files_predicate(
            source_name, which='new', file_column='source_file') }}
        {%- if except_files %}
        and source_file not in ({{ except_files }})
        {%- endif %}
    group by source_file
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

{% macro raw_file_row_counts(files) %}
    {{- return(adapter.dispatch('raw_file_row_counts', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_row_counts(files) %}
    {#- Spark: the rows of each raw file (paths under raw_path), as a dict;
        a count reads no column, whatever the file's types. -#}
    {%- set counts = {} -%}
    {%- for file in files -%}
        {%- do counts.update({file: run_query(
            'select count(*) from parquet.`' ~ absolute_raw_path() ~ '/' ~ file ~ '`'
        ).columns[0].values()[0]}) -%}
    {%- endfor -%}
    {{ return(counts) }}
{% endmacro %}

{% macro duckdb__raw_file_row_counts(files) %}
    {#- DuckDB: from the Parquet footers. -#}
    {%- set counts = {} -%}
    {%- if files | length == 0 -%}
        {{ return(counts) }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    {%- set query -%}
        select {{ relative_source_file('file_name') }}, num_rows
        from parquet_file_metadata({{ file_list }})
    {%- endset -%}
    {%- for row in run_query(query).rows -%}
        {%- do counts.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(counts) }}
{% endmacro %}

{% macro raw_file_fingerprints(files) %}
    {{- return(adapter.dispatch('raw_file_fingerprints', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_fingerprints(files) %}
    {#- Spark: no footer reader in SQL; a file whose modification time
        changed counts as changed. -#}
    {{ return({}) }}
{% endmacro %}

{% macro duckdb__raw_file_fingerprints(files) %}
    {#- DuckDB: an md5 of each raw file's Parquet footer (per row group and
        column: rows, sizes, statistics), as {source_file: md5}, read without
        the data pages. Two files with the same footer hold the same rows in
        the same layout, short of a forgery. -#}
    {%- if files | length == 0 -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    {%- set fingerprints = {} -%}
    {%- for row in run_query(raw_file_fingerprint_query(file_list)).rows -%}
        {%- do fingerprints.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(fingerprints) }}
{% endmacro %}

{% macro raw_file_fingerprint_relation(source_name, ledger) %}
    {{- return(adapter.dispatch('raw_file_fingerprint_relation', 'feed_training_data')(
        source_name, ledger)) -}}
{% endmacro %}

{% macro default__raw_file_fingerprint_relation(source_name, ledger) %}
    {#- A query of source_file, footer_fingerprint for the files of one log
        new to `ledger` (none: all): none on engines without a footer reader. -#}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_string() }}) as footer_fingerprint
    where false
{%- endmacro %}

{% macro duckdb__raw_file_fingerprint_relation(source_name, ledger) %}
    {%- if ledger is none -%}
        {{ return(raw_file_fingerprint_query(sql_string(raw_glob(source_name)))) }}
    {%- endif -%}
    {%- set files = new_raw_files(source_name, ledger=ledger) -%}
    {%- if files | length == 0 -%}
        {{ return(default__raw_file_fingerprint_relation(source_name, ledger)) }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    {{ return(raw_file_fingerprint_query(file_list)) }}
{%- endmacro %}

{% macro raw_file_fingerprint_query(footers_of) %}
    {#- DuckDB: source_file, footer_fingerprint of the Parquet files
        `footers_of` (a quoted path, glob or list literal). -#}
    select
        {{ relative_source_file('file_name') }} as source_file,
        md5(string_agg(
            concat_ws(
                '|', row_group_id, column_id, path_in_schema, type, row_group_num_rows,
                num_values, total_compressed_size, total_uncompressed_size,
                stats_null_count, stats_min_value, stats_max_value
            ),
            ',' order by row_group_id, column_id
        )) as footer_fingerprint
    from parquet_metadata({{ footers_of }})
    group by file_name
{%- endmacro %}
