{% macro get_where_subquery(relation) -%}
    {#- dbt's hook for the `where` config of data tests, extended: on a
        refresh, a test of a model that is incremental by day checks only the
        days this run rewrote (tests on a full build check everything), so a
        daily run costs O(window), not O(history). The base tables hold only
        the raw rows the run read, so their tests are window-sized already. -#}
    {%- set where = config.get('where') -%}
    {%- set day_column = none -%}
    {%- set attached = model.get('attached_node') if model is mapping else none -%}
    {%- if execute and attached and attached in graph.nodes -%}
        {%- set tested = graph.nodes[attached] -%}
        {%- if tested.config.materialized == 'incremental' -%}
            {%- set day_column = tested.config.meta.get('refresh_day_column') -%}
        {%- endif -%}
    {%- endif -%}
    {%- set window = refresh_window() if day_column else none -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if window and window.mode in ['scheduled', 'explicit'] -%}
        {%- do conditions.append(in_refresh_window(day_column, window)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
