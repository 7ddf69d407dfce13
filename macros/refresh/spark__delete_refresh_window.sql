{% macro spark__delete_refresh_window(day_column, also_delete_new_files=false) %}
    {#- Spark parquet tables cannot DELETE: drop the partitions (days) of the
        refresh window instead, before the new rows are appended. Rows without
        a day (the null partition) stay; see the README's Spark notes. -#}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window = refresh_window() -%}
    {%- for day in partition_days(this) -%}
        {%- if (window.start is none or day >= window.start)
            and (window.end is none or day <= window.end) -%}
            {%- do run_query(
                'alter table ' ~ this ~ ' drop if exists partition ('
                ~ day_column ~ " = '" ~ day ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

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
