{#- on-run-start: the raw logs as tables, where the engine needs them declared. -#}

{% macro register_raw_tables() %}
    {{- return(adapter.dispatch('register_raw_tables', 'feed_training_data')()) -}}
{% endmacro %}

{% macro default__register_raw_tables() %}
    {{- unsupported_adapter('register_raw_tables') -}}
{% endmacro %}

{% macro duckdb__register_raw_tables() %}
    {#- DuckDB reads the files in place (the sources' external_location). -#}
{% endmacro %}

{% macro spark__register_raw_tables() %}
    {%- set id_type = id_data_type() -%}
    {%- set context = [] -%}
    {%- for column in impression_context_columns() -%}
        {%- do context.append(', ' ~ column.name ~ ' ' ~ column.sql_type) -%}
    {%- endfor -%}
    {%- set logs = {
        'impressions': 'user_id ' ~ id_type ~ ', tweet_id ' ~ id_type ~ ', impression_ts timestamp'
            ~ context | join(''),
        'engagements': 'user_id ' ~ id_type ~ ', tweet_id ' ~ id_type
            ~ ', action string, engagement_ts timestamp',
    } -%}
    {#- Commands, not queries: adapter.execute fetches nothing. -#}
    {%- do adapter.execute('create schema if not exists '
        ~ source('feed', 'impressions').without_identifier()) -%}
    {#- The conversion records are listed too (a missing folder lists nothing). -#}
    {%- for name in ['impressions', 'engagements', 'conversions'] -%}
        {%- set options -%}
            options (
                path {{ sql_string(absolute_raw_path() ~ '/' ~ name) }},
                recursiveFileLookup 'true',
                pathGlobFilter '{{ '*.parquet' if name in logs else '*' }}'
            )
        {%- endset -%}
        {%- if name in logs -%}
            {%- do adapter.execute('drop table if exists ' ~ source('feed', name)) -%}
            {%- do adapter.execute('create table ' ~ source('feed', name) ~ ' (' ~ logs[name]
                ~ ') using parquet ' ~ options) -%}
        {%- endif -%}
        {%- set listing = source('feed_files', name) -%}
        {%- set listed = listing.incorporate(path={'identifier': listing.identifier ~ '_listed'}) -%}
        {%- do adapter.execute('drop table if exists ' ~ listed) -%}
        {%- do adapter.execute('create table ' ~ listed ~ ' using binaryFile ' ~ options) -%}
        {%- do adapter.execute('create or replace view ' ~ listing ~ ' as select path as file, '
            ~ 'length as file_size, modificationTime as file_modified_ts from ' ~ listed) -%}
    {%- endfor -%}
{% endmacro %}
