{% macro refresh_window() %}
    {#- The days this invocation (re)processes, as a dict:
          mode   'full' | 'scheduled' | 'explicit' | 'parse'
          start  first day (YYYY-MM-DD) or none for everything
          end    last day or none for no end
        Planned once per invocation by on-run-start (plan_refresh_window,
        into the source feed_refresh.windows) and read back here, so every
        model and test of a run sees the same window. Without a plan (a
        `dbt compile` or a lint, which run no hooks) it is computed. -#}
    {%- if not execute -%}
        {{ return({'mode': 'parse', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- set windows = refresh_state('windows') -%}
    {%- if load_relation(windows) is not none -%}
        {%- set planned = run_query(
            "select window_mode, cast(window_start as " ~ dbt.type_string() ~ "), "
            ~ "cast(window_end as " ~ dbt.type_string() ~ ") from " ~ windows
            ~ " where invocation_id = '" ~ invocation_id ~ "'") -%}
        {%- if planned.rows | length > 0 -%}
            {%- set row = planned.rows[0] -%}
            {{ return({'mode': row[0], 'start': row[1], 'end': row[2]}) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(compute_refresh_window()) }}
{% endmacro %}
