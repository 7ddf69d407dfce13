{% macro get_where_subquery(relation) -%}
    {#- dbt's hook for the `where` config of data tests, extended: on a
        refresh, a test of a model that is incremental by day checks only the
        days this run rewrote, and a test of a view over a raw log checks only
        the raw files the run read (tests on a full build check everything),
        so a daily run costs O(window), not O(history). -#}
    {%- set where = config.get('where') -%}
    {%- set day_column = none -%}
    {%- set raw_source = none -%}
    {%- set attached = model.get('attached_node') if model is mapping else none -%}
    {%- if execute and attached and attached in graph.nodes -%}
        {%- set tested = graph.nodes[attached] -%}
        {%- if tested.config.materialized == 'incremental' -%}
            {%- set day_column = tested.config.meta.get('refresh_day_column') -%}
        {%- endif -%}
        {#- A view over a raw log: test only the raw files the run read. -#}
        {%- set raw_source = tested.config.meta.get('refresh_raw_source') -%}
    {%- endif -%}
    {%- set window = refresh_window() if (day_column or raw_source) else none -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if window and window.mode in ['scheduled', 'explicit'] -%}
        {%- if day_column -%}
            {%- do conditions.append(in_refresh_window(day_column, window)) -%}
        {%- endif -%}
        {%- if raw_source -%}
            {%- do conditions.append(raw_files_predicate(raw_source, window=window)) -%}
        {%- endif -%}
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
