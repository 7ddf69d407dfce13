{% macro raw_path() %}
    {#- The folder of the raw logs: the raw_path var, or when it is unset the
        FEED_RAW_PATH environment variable, else data/raw; checked, without
        a trailing slash. -#}
    {%- set value = var('raw_path', none) or env_var('FEED_RAW_PATH', 'data/raw') -%}
    {%- if value is not string or value | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "var raw_path must be the folder of the raw logs, got " ~ (value | tojson)) }}
    {%- endif -%}
    {%- if value != '/' -%}
        {%- set value = value.rstrip('/') -%}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
