{% macro is_integer_typed(column) %}
    {{- return(adapter.dispatch('is_integer_typed', 'feed_training_data')(column)) -}}
{% endmacro %}

{% macro default__is_integer_typed(column) %}
    {#- A predicate, constant for a query: the column's type is an integer
        type of at most 64 bits (Spark's type names). -#}
    (typeof({{ column }}) in ('bigint', 'int', 'smallint', 'tinyint'))
{%- endmacro %}

{% macro duckdb__is_integer_typed(column) %}
    (typeof({{ column }}) in (
        'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT'
    ))
{%- endmacro %}
