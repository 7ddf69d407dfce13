{#- The refresh's own tables: created and filled by the hooks (on-run-start
    before any node, on-run-end after the last). -#}

{% macro create_refresh_state_tables() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if load_relation(source('feed_refresh', 'runs')) is none -%}
        {%- do adapter.execute('create schema if not exists '
            ~ source('feed_refresh', 'runs').without_identifier()) -%}
    {%- endif -%}
    {#- The source's columns and types; commands (adapter.execute fetches
        nothing), one per call: Spark's session cursor takes one at a time. -#}
    {%- for table in graph.sources.values() if table.source_name == 'feed_refresh' -%}
        {%- set columns = [] -%}
        {%- for column in table.columns.values() -%}
            {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor -%}
        {%- if load_relation(source('feed_refresh', table.name)) is none -%}
            {%- do adapter.execute('create table if not exists ' ~ source('feed_refresh', table.name)
                ~ ' (' ~ (columns | join(', ')) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{% macro model_relation(model_name) %}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{% macro record_refresh_run(results) %}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set required = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and (node.config.materialized == 'incremental' or node.name == 'int_log_watermark') -%}
        {%- do required.append(node.unique_id) -%}
    {%- endfor -%}
    {%- set succeeded = [] -%}
    {%- set failed = [] -%}
    {%- for result in results -%}
        {%- if result.status in ['error', 'fail', 'skipped', 'runtime error'] -%}
            {%- do failed.append(result.node.unique_id) -%}
        {%- elif result.node.unique_id in required -%}
            {%- do succeeded.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if failed or (succeeded | length) < (required | length) -%}
        {{ log("feed refresh: not recorded as completed ("
            ~ (failed | length) ~ " failed or skipped, "
            ~ (succeeded | length) ~ "/" ~ (required | length)
            ~ " daily models built); the next run redoes this window", info=true) }}
        {{ return('') }}
    {%- endif -%}
    insert into {{ source('feed_refresh', 'runs') }}
    select
        '{{ invocation_id }}',
        windows.window_mode,
        windows.window_start,
        windows.window_end,
        watermark.impressions_max_ts,
        watermark.engagements_max_ts,
        watermark.watermark_ts,
        {{ dbt.current_timestamp() }}
    from {{ model_relation('int_log_watermark') }} as watermark
    inner join {{ source('feed_refresh', 'windows') }} as windows
        on windows.invocation_id = '{{ invocation_id }}'
{% endmacro %}
