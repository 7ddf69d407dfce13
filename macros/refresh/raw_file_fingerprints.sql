{% macro raw_file_fingerprints(files) %}
    {{- return(adapter.dispatch('raw_file_fingerprints', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_fingerprints(files) %}
    {#- Spark: no footer reader in SQL; a file whose modification time
        changed counts as changed. -#}
    {{ return({}) }}
{% endmacro %}

{% macro duckdb__raw_file_fingerprints(files) %}
    {#- DuckDB: an md5 of each raw file's Parquet footer (per row group and
        column: rows, sizes, statistics), as {source_file: md5}, read without
        the data pages. Two files with the same footer hold the same rows in
        the same layout, short of a forgery. -#}
    {%- if files | length == 0 -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    {%- set fingerprints = {} -%}
    {%- for row in run_query(raw_file_fingerprint_query(file_list)).rows -%}
        {%- do fingerprints.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(fingerprints) }}
{% endmacro %}
