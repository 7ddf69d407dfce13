{% macro day_number(date_expression) %}
    {#- Days since 1970-01-01: an integer to order window frames by. -#}
    {{ return(dbt.datediff("cast('1970-01-01' as date)", date_expression, 'day')) }}
{% endmacro %}
