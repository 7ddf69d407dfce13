{% macro in_refresh_window(day_column, window=none) %}
    {#- A predicate: `day_column` (a date) lies in this invocation's refresh
        window; `true` when the window is everything. -#}
    {%- set window = window or refresh_window() -%}
    {%- set conditions = [] -%}
    {%- if window.start is not none -%}
        {%- do conditions.append(day_column ~ " >= cast('" ~ window.start ~ "' as date)") -%}
    {%- endif -%}
    {%- if window.end is not none -%}
        {%- do conditions.append(day_column ~ " <= cast('" ~ window.end ~ "' as date)") -%}
    {%- endif -%}
    {{- return('(' ~ (conditions | join(' and ') if conditions else 'true') ~ ')') -}}
{% endmacro %}
