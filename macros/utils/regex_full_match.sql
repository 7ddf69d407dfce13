{% macro regex_full_match(expression, pattern) %}
    {{- return(adapter.dispatch('regex_full_match', 'feed_training_data')(expression, pattern)) -}}
{% endmacro %}

{% macro default__regex_full_match(expression, pattern) %}
    {#- Spark and Databricks: rlike searches, so anchor the pattern. -#}
    ({{ expression }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) %}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}
