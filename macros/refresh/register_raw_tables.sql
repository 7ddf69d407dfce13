{% macro register_raw_tables() %}
    {{- return(adapter.dispatch('register_raw_tables', 'feed_training_data')()) -}}
{% endmacro %}

{% macro default__register_raw_tables() %}
    {#- DuckDB reads the Parquet files in place (the sources' external_location). -#}
{% endmacro %}

{% macro spark__register_raw_tables() %}
    {#- on-run-start on Spark: (re)declare each raw log as an external Parquet
        table over its folder, with the contract's columns and types, so the
        files are read in place, every sub-folder included, extra columns
        ignored, and naive timestamps read as UTC timestamps. Dropping the
        table leaves the files alone. -#}
    {%- set id_type = 'bigint' if var('id_type') | lower in ['bigint', 'int64', 'long'] else 'string' -%}
    {%- set schema = target.schema ~ '_raw' -%}
    {%- set logs = {
        'impressions': 'user_id ' ~ id_type ~ ', tweet_id ' ~ id_type ~ ', impression_ts timestamp',
        'engagements': 'user_id ' ~ id_type ~ ', tweet_id ' ~ id_type
            ~ ', action string, engagement_ts timestamp',
    } -%}
    {%- set raw_path = absolute_raw_path() -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- for name, columns in logs.items() -%}
        {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ name) -%}
        {%- do run_query(
            'create table ' ~ schema ~ '.' ~ name ~ ' (' ~ columns ~ ') using parquet '
            ~ "options (path '" ~ raw_path ~ '/' ~ name
            ~ "', recursiveFileLookup 'true', pathGlobFilter '*.parquet')") -%}
    {%- endfor -%}
{% endmacro %}
