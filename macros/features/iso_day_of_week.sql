{% macro iso_day_of_week(timestamp_expression) %}
    {{- return(adapter.dispatch('iso_day_of_week', 'feed_training_data')(timestamp_expression)) -}}
{% endmacro %}

{% macro default__iso_day_of_week(timestamp_expression) %}
    {#- Monday 1 to Sunday 7 (Spark's dayofweek counts Sunday 1 to Saturday 7). -#}
    (((dayofweek({{ timestamp_expression }}) + 5) % 7) + 1)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(timestamp_expression) %}
    isodow({{ timestamp_expression }})
{%- endmacro %}
