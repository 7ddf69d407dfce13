{% macro sql_string(value) %}
    {#- A value as a SQL string literal: single quotes doubled (and, on
        engines that read backslash escapes in literals, backslashes too). -#}
    {{- return(adapter.dispatch('sql_string', 'feed_training_data')(value)) -}}
{% endmacro %}

{% macro default__sql_string(value) %}
    {#- Spark reads backslash escapes inside string literals. -#}
    {{- return("'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}

{% macro duckdb__sql_string(value) %}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}
