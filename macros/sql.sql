{#- Portable SQL: each family's default__ form is Spark SQL (and most
    engines'), duckdb__ overrides it where DuckDB spells it otherwise. -#}

{% macro sql_string(value) %}
    {{- return(adapter.dispatch('sql_string', 'feed_training_data')(value)) -}}
{% endmacro %}

{% macro default__sql_string(value) %}
    {#- Spark reads backslash escapes inside string literals. -#}
    {{- return("'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}

{% macro duckdb__sql_string(value) %}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro add_days(date_expression, days) %}
    {{- return(adapter.dispatch('add_days', 'feed_training_data')(date_expression, days)) -}}
{% endmacro %}

{% macro default__add_days(date_expression, days) %}
    date_add({{ date_expression }}, {{ days | int }})
{%- endmacro %}

{% macro duckdb__add_days(date_expression, days) %}
    cast({{ date_expression }} + interval ({{ days | int }}) day as date)
{%- endmacro %}

{% macro add_seconds(timestamp_expression, seconds) %}
    {{- return(adapter.dispatch('add_seconds', 'feed_training_data')(timestamp_expression, seconds)) -}}
{% endmacro %}

{% macro default__add_seconds(timestamp_expression, seconds) %}
    {#- Keeps sub-second precision, which dbt.dateadd on Spark drops. -#}
    ({{ timestamp_expression }} + interval {{ seconds | int }} seconds)
{%- endmacro %}

{% macro duckdb__add_seconds(timestamp_expression, seconds) %}
    ({{ timestamp_expression }} + interval ({{ seconds | int }}) second)
{%- endmacro %}

{% macro iso_day_of_week(timestamp_expression) %}
    {{- return(adapter.dispatch('iso_day_of_week', 'feed_training_data')(timestamp_expression)) -}}
{% endmacro %}

{% macro default__iso_day_of_week(timestamp_expression) %}
    {#- Spark's dayofweek counts Sunday 1 to Saturday 7. -#}
    (((dayofweek({{ timestamp_expression }}) + 5) % 7) + 1)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(timestamp_expression) %}
    isodow({{ timestamp_expression }})
{%- endmacro %}
