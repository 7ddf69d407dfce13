{% macro absolute_raw_path() %}
    {#- raw_path, anchored at the working directory when it is relative (Spark
        would otherwise take a table location under its warehouse). -#}
    {%- set path = raw_path() -%}
    {%- if not (path.startswith('/') or ':' in path) -%}
        {%- set path = env_var('PWD', '.') ~ '/' ~ path -%}
    {%- endif -%}
    {{ return(path.rstrip('/')) }}
{% endmacro %}
