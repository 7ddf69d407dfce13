{% macro raw_file_fingerprint_relation(source_name, ledger) %}
    {{- return(adapter.dispatch('raw_file_fingerprint_relation', 'feed_training_data')(
        source_name, ledger)) -}}
{% endmacro %}

{% macro default__raw_file_fingerprint_relation(source_name, ledger) %}
    {#- A query of source_file, footer_fingerprint for the files of one log
        new to `ledger` (none: all): none on engines without a footer reader. -#}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_string() }}) as footer_fingerprint
    where false
{%- endmacro %}

{% macro duckdb__raw_file_fingerprint_relation(source_name, ledger) %}
    {%- if ledger is none -%}
        {{ return(raw_file_fingerprint_query(sql_string(raw_glob(source_name)))) }}
    {%- endif -%}
    {%- set files = new_raw_files(source_name, ledger=ledger) -%}
    {%- if files | length == 0 -%}
        {{ return(default__raw_file_fingerprint_relation(source_name, ledger)) }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    {{ return(raw_file_fingerprint_query(file_list)) }}
{%- endmacro %}
