{% macro add_seconds(timestamp_expression, seconds) %}
    {{- return(adapter.dispatch('add_seconds', 'feed_training_data')(timestamp_expression, seconds)) -}}
{% endmacro %}

{% macro default__add_seconds(timestamp_expression, seconds) %}
    {#- Spark and DuckDB alike; keeps sub-second precision, which dbt.dateadd
        on Spark drops (it goes through unix seconds). -#}
    ({{ timestamp_expression }} + interval {{ seconds | int }} seconds)
{%- endmacro %}

{% macro duckdb__add_seconds(timestamp_expression, seconds) %}
    ({{ timestamp_expression }} + interval ({{ seconds | int }}) second)
{%- endmacro %}
