{% macro create_refresh_state_tables() %}
    {#- on-run-start: create the refresh's bookkeeping tables (the source
        feed_refresh) when they do not exist: the run ledger, the planned
        windows and the planned raw files. One statement per call: Spark's
        session cursor takes one at a time. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set runs = refresh_state('runs') -%}
    {%- do run_query('create schema if not exists ' ~ runs.without_identifier()) -%}
    {%- set text = dbt.type_string() -%}
    {%- set timestamp = dbt.type_timestamp() -%}
    {%- set columns = {
        'runs': 'invocation_id ' ~ text ~ ', window_mode ' ~ text
            ~ ', window_start date, window_end date, impressions_max_ts ' ~ timestamp
            ~ ', engagements_max_ts ' ~ timestamp ~ ', watermark_ts ' ~ timestamp
            ~ ', completed_ts ' ~ timestamp,
        'windows': 'invocation_id ' ~ text ~ ', window_mode ' ~ text
            ~ ', window_start date, window_end date, planned_ts ' ~ timestamp,
        'files': 'invocation_id ' ~ text ~ ', source_name ' ~ text ~ ', source_file ' ~ text
            ~ ', is_new boolean, planned_ts ' ~ timestamp,
    } -%}
    {%- for table, definition in columns.items() -%}
        {%- do run_query(
            'create table if not exists ' ~ refresh_state(table) ~ ' (' ~ definition ~ ') '
            ~ refresh_state_table_options()) -%}
    {%- endfor -%}
{% endmacro %}
