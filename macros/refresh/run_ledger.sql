{#- The run ledger, filled after the last node (on-run-end). -#}

{% macro record_refresh_run(results) %}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set required = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and (node.config.materialized == 'incremental'
            or node.name in ['int_log_watermark', 'refresh_plan']) -%}
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
    {#- Only an invocation that planned is recorded: its plan, completed or
        not, in the history of windows; completed, in the run ledger. -#}
    {%- set plan_id = 'model.' ~ project_name ~ '.refresh_plan' -%}
    {%- if plan_id not in succeeded -%}
        {{ log("feed refresh: not recorded as completed (this invocation made no plan: "
            ~ "refresh_plan failed or was not selected); the next run plans again", info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set plan = model_relation('refresh_plan') -%}
    {%- do adapter.execute('insert into ' ~ source('feed_refresh', 'windows')
        ~ ' select invocation_id, window_mode, window_start, window_end, max(planned_ts) from '
        ~ plan ~ ' group by invocation_id, window_mode, window_start, window_end') -%}
    {%- if failed or (succeeded | length) < (required | length) -%}
        {{ log("feed refresh: not recorded as completed ("
            ~ (failed | length) ~ " failed or skipped, "
            ~ (succeeded | length - 1) ~ "/" ~ (required | length - 1)
            ~ " daily models built); the next run redoes this window", info=true) }}
        {{ return('') }}
    {%- endif -%}
    insert into {{ source('feed_refresh', 'runs') }}
    select
        planned.invocation_id,
        planned.window_mode,
        planned.window_start,
        planned.window_end,
        watermark.impressions_max_ts,
        watermark.engagements_max_ts,
        watermark.watermark_ts,
        {{ dbt.current_timestamp() }}
    from {{ model_relation('int_log_watermark') }} as watermark
    cross join (
        select distinct invocation_id, window_mode, window_start, window_end
        from {{ plan }}
    ) as planned
{% endmacro %}
