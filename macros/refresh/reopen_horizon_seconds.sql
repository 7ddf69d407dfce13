{% macro reopen_horizon_seconds() %}
    {#- How long after an event's time a late delivery of it is still taken in:
        var reopen_horizon_hours, by default the label window plus one day. -#}
    {%- set hours = var('reopen_horizon_hours', none) -%}
    {%- if hours is none -%}
        {{ return(label_window_seconds() + 86400) }}
    {%- endif -%}
    {%- if (hours | float) < 0 -%}
        {{ exceptions.raise_compiler_error(
            "var reopen_horizon_hours must be >= 0, got " ~ hours) }}
    {%- endif -%}
    {{ return(((hours | float) * 3600) | round | int) }}
{% endmacro %}
