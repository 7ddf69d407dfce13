{% macro raw_file_row_counts(files) %}
    {{- return(adapter.dispatch('raw_file_row_counts', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_row_counts(files) %}
    {#- Spark: the rows of each raw file (paths under raw_path), as a dict;
        a count reads no column, whatever the file's types. -#}
    {%- set counts = {} -%}
    {%- for file in files -%}
        {%- do counts.update({file: run_query(
            'select count(*) from parquet.`' ~ absolute_raw_path() ~ '/' ~ file ~ '`'
        ).columns[0].values()[0]}) -%}
    {%- endfor -%}
    {{ return(counts) }}
{% endmacro %}

{% macro duckdb__raw_file_row_counts(files) %}
    {#- DuckDB: from the Parquet footers. -#}
    {%- set counts = {} -%}
    {%- if files | length == 0 -%}
        {{ return(counts) }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    {%- set query -%}
        select {{ relative_source_file('file_name') }}, num_rows
        from parquet_file_metadata({{ file_list }})
    {%- endset -%}
    {%- for row in run_query(query).rows -%}
        {%- do counts.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(counts) }}
{% endmacro %}
