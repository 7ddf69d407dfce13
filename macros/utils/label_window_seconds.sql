{% macro label_window_seconds() %}
    {#- The `label_window_hours` var in whole seconds (fractions of an hour allowed). -#}
    {%- set hours = var('label_window_hours') | float -%}
    {%- if hours <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var label_window_hours must be > 0, got " ~ var('label_window_hours')) }}
    {%- endif -%}
    {{ return((hours * 3600) | round | int) }}
{% endmacro %}
