{% macro hex_to_int(hex_expression) %}
    {{- return(adapter.dispatch('hex_to_int', 'feed_training_data')(hex_expression)) -}}
{% endmacro %}

{% macro default__hex_to_int(hex_expression) %}
    {#- Spark, Databricks and others: base conversion returns a decimal string. -#}
    cast(conv({{ hex_expression }}, 16, 10) as bigint)
{%- endmacro %}

{% macro duckdb__hex_to_int(hex_expression) %}
    cast(('0x' || {{ hex_expression }}) as bigint)
{%- endmacro %}
