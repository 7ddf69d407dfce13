{% macro source_file_name() %}
    {{- return(adapter.dispatch('source_file_name', 'feed_training_data')()) -}}
{% endmacro %}

{% macro default__source_file_name() %}
    {#- Spark and Databricks: the file the current row was read from. -#}
    input_file_name()
{%- endmacro %}

{% macro duckdb__source_file_name() %}
    {#- read_parquet(..., filename = true) adds this column. -#}
    filename
{%- endmacro %}
