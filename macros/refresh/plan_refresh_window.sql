{% macro plan_refresh_window() %}
    {#- on-run-start, after the tables exist: decide this invocation's window
        once and write it down; refresh_window() reads it back. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window = compute_refresh_window() -%}
    {%- do check_raw_files_unchanged(window) -%}
    {{ log("feed refresh: " ~ window.mode ~ " window, days "
        ~ (window.start or 'all') ~ " to " ~ (window.end or 'the end of the logs'), info=true) }}
    insert into {{ refresh_windows_relation() }}
    select
        '{{ invocation_id }}',
        '{{ window.mode }}',
        {{ "cast('" ~ window.start ~ "' as date)" if window.start else 'null' }},
        {{ "cast('" ~ window.end ~ "' as date)" if window.end else 'null' }},
        {{ dbt.current_timestamp() }}
{% endmacro %}
