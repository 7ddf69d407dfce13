{% macro add_days(date_expression, days) %}
    {{- return(adapter.dispatch('add_days', 'feed_training_data')(date_expression, days)) -}}
{% endmacro %}

{% macro default__add_days(date_expression, days) %}
    {#- A date plus a whole number of days, still a date. -#}
    date_add({{ date_expression }}, {{ days | int }})
{%- endmacro %}

{% macro duckdb__add_days(date_expression, days) %}
    cast({{ date_expression }} + interval ({{ days | int }}) day as date)
{%- endmacro %}
