{#- Where the raw files are, and a raw file's path under raw_path (the key
    of the file ledger: moving the logs does not make every file new). -#}

{% macro relative_source_file(path_expression) %}
    {{- return(adapter.dispatch('relative_source_file', 'feed_training_data')(path_expression)) -}}
{% endmacro %}

{% macro default__relative_source_file(path_expression) %}
    {{- unsupported_adapter('relative_source_file') -}}
{% endmacro %}

{% macro spark__relative_source_file(path_expression) %}
    {#- Spark gives file:///abs/path/...: strip the scheme and the absolute raw_path. -#}
    substr(
        regexp_replace({{ path_expression }}, '^file:(//)?', ''),
        {{ (absolute_raw_path() ~ '/') | length + 1 }}
    )
{%- endmacro %}

{% macro duckdb__relative_source_file(path_expression) %}
    substr({{ path_expression }}, {{ (raw_path() ~ '/') | length + 1 }})
{%- endmacro %}

{% macro absolute_raw_path() %}
    {%- set path = raw_path() -%}
    {%- if not (path.startswith('/') or ':' in path) -%}
        {%- set path = env_var('PWD', '.') ~ '/' ~ path -%}
    {%- endif -%}
    {{ return(path.rstrip('/')) }}
{% endmacro %}

{% macro raw_glob(source_name) %}
    {{- return(raw_path() ~ '/' ~ source_name ~ '/**/*.parquet') -}}
{% endmacro %}

{% macro raw_file_list_literal(files) %}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append(sql_string(raw_path() ~ '/' ~ file)) -%}
    {%- endfor -%}
    {{ return('[' ~ (quoted | join(', ')) ~ ']') }}
{% endmacro %}
