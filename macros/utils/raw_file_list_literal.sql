{% macro raw_file_list_literal(files) %}
    {#- DuckDB: raw files (paths under raw_path) as a list literal of their
        full paths, for read_parquet() and the footer functions. -#}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append(sql_string(raw_path() ~ '/' ~ file)) -%}
    {%- endfor -%}
    {{ return('[' ~ (quoted | join(', ')) ~ ']') }}
{% endmacro %}
