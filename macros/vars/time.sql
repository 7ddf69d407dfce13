{#- The vars of time (label window, re-open horizon, clocks): read and checked here. -#}

{% macro label_window_seconds() %}
    {%- set hours = var('label_window_hours') | float -%}
    {%- if hours <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var label_window_hours must be > 0, got " ~ var('label_window_hours')) }}
    {%- endif -%}
    {{ return((hours * 3600) | round | int) }}
{% endmacro %}

{% macro label_window_days() %}
    {{ return((label_window_seconds() / 86400.0) | round(0, 'ceil') | int) }}
{% endmacro %}

{% macro feature_lookback_days() %}
    {{ return(28) }}
{% endmacro %}

{% macro reopen_horizon_seconds() %}
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

{% macro reach_min_day_share() %}
    {%- set share = var('reach_min_day_share') -%}
    {%- if share is not number or share is boolean or not (0 <= share < 1) -%}
        {{ exceptions.raise_compiler_error(
            "var reach_min_day_share must be a number in [0, 1), got " ~ (share | tojson)) }}
    {%- endif -%}
    {{ return(share | float) }}
{% endmacro %}

{% macro closed_collection() %}
    {%- set value = var('closed_collection') -%}
    {%- if value is not sameas true and value is not sameas false -%}
        {{ exceptions.raise_compiler_error(
            "var closed_collection must be true or false, got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
