{% macro plan_refresh_window() %}
    {#- on-run-start, after the bookkeeping tables exist: decide this
        invocation's window and the raw files it reads once, and write them
        down (sources feed_refresh.windows and feed_refresh.files);
        refresh_window() and raw_files_to_read() read them back, so every
        model and test of the run sees the same days and files, whatever
        arrives or is recorded in the raw-file ledger meanwhile. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window = compute_refresh_window() -%}
    {%- do check_raw_files_unchanged(window) -%}
    {{ log("feed refresh: " ~ window.mode ~ " window, days "
        ~ (window.start or 'all') ~ " to " ~ (window.end or 'the end of the logs'), info=true) }}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- do plan_raw_files(source_name, window) -%}
    {%- endfor -%}
    insert into {{ refresh_state('windows') }}
    select
        '{{ invocation_id }}',
        '{{ window.mode }}',
        {{ "cast('" ~ window.start ~ "' as date)" if window.start else 'null' }},
        {{ "cast('" ~ window.end ~ "' as date)" if window.end else 'null' }},
        {{ dbt.current_timestamp() }}
{% endmacro %}
