{% macro raw_schema_mode() %}
    {#- What a raw file whose schema breaks the input contract does: `fail`
        (the default) stops the run; `quarantine` sets the file aside whole. -#}
    {%- set mode = var('raw_schema_errors', 'fail') | string | lower -%}
    {%- if mode not in ['fail', 'quarantine'] -%}
        {{ exceptions.raise_compiler_error(
            "var raw_schema_errors must be fail or quarantine, got " ~ (mode | tojson)) }}
    {%- endif -%}
    {{ return(mode) }}
{% endmacro %}
