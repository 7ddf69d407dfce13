{% macro partition_days(relation) %}
    {#- The day partitions of a Spark table, as 'YYYY-MM-DD' strings. -#}
    {%- set days = [] -%}
    {%- for row in run_query('show partitions ' ~ relation).rows -%}
        {%- set value = (row[0] | string).split('=', 1)[-1] -%}
        {%- if modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {%- do days.append(value) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(days) }}
{% endmacro %}
