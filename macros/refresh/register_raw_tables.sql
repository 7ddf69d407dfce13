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
        ignored, and naive timestamps read as UTC timestamps; and a listing
        of its files (binaryFile: path, size, modification time, the content
        left unread). Dropping the table leaves the files alone. -#}
    {%- set id_type = id_data_type() -%}
    {%- set schema = target.schema ~ '_raw' -%}
    {%- set logs = {
        'impressions': 'user_id ' ~ id_type ~ ', tweet_id ' ~ id_type ~ ', impression_ts timestamp',
        'engagements': 'user_id ' ~ id_type ~ ', tweet_id ' ~ id_type
            ~ ', action string, engagement_ts timestamp',
    } -%}
    {%- set folder = absolute_raw_path() -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- for name, columns in logs.items() -%}
        {%- set options -%}
            options (
                path {{ sql_string(folder ~ '/' ~ name) }},
                recursiveFileLookup 'true',
                pathGlobFilter '*.parquet'
            )
        {%- endset -%}
        {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ name) -%}
        {%- do run_query(
            'create table ' ~ schema ~ '.' ~ name ~ ' (' ~ columns ~ ') using parquet ' ~ options) -%}
        {#- A listing view over the folder, cached with `cache table`.
            Spark's event log still shows the folder listed (metadata only)
            by each query that reads the view (docs/benchmarks.md, Spark
            daily refresh); only the planning hooks and the raw-file ledger
            read it, the models read the plan (feed_refresh.files). #}
        {%- do run_query(
            'create or replace temporary view ' ~ raw_listing_view(name) ~ '_source'
            ~ ' using binaryFile ' ~ options) -%}
        {%- do run_query('uncache table if exists ' ~ raw_listing_view(name)) -%}
        {%- do run_query('drop view if exists ' ~ raw_listing_view(name)) -%}
        {%- do run_query(
            'cache table ' ~ raw_listing_view(name)
            ~ ' as select path, length, modificationTime from '
            ~ raw_listing_view(name) ~ '_source') -%}
    {%- endfor -%}
{% endmacro %}
