{% macro last_day_in(relation) %}
    {#- The latest event_date a table holds, as 'YYYY-MM-DD' (none when it
        holds no row, or while dbt parses). -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{- return(adapter.dispatch('last_day_in', 'feed_training_data')(relation)) -}}
{% endmacro %}

{% macro default__last_day_in(relation) %}
    {#- Spark: from the partition listing, without reading a file. -#}
    {%- set days = partition_days(relation) -%}
    {{ return(days | max if days else none) }}
{% endmacro %}

{% macro duckdb__last_day_in(relation) %}
    {%- set query -%}
        select cast(max(event_date) as varchar) from {{ relation }}
    {%- endset -%}
    {%- set value = run_query(query).columns[0].values()[0] -%}
    {{ return(value) }}
{% endmacro %}
