{% macro record_refresh_run(results) %}
    {#- on-run-end: record this invocation in the run ledger when it built every
        incremental model and int_log_watermark without error; otherwise record
        nothing, so that the next run (or `dbt retry`) redoes the same window. -#}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set required = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.package_name == project_name
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
    {%- set window = refresh_window() -%}
    {%- set relation = refresh_state('runs') -%}
    {%- set watermark = model_relation('int_log_watermark') -%}
    insert into {{ relation }}
    select
        '{{ invocation_id }}',
        '{{ window.mode }}',
        {{ "cast('" ~ window.start ~ "' as date)" if window.start else 'null' }},
        {{ "cast('" ~ window.end ~ "' as date)" if window.end else 'null' }},
        impressions_max_ts,
        engagements_max_ts,
        watermark_ts,
        {{ dbt.current_timestamp() }}
    from {{ watermark }}
{% endmacro %}
