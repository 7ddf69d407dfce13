{#- What the project's data tests check of a daily table: the rows the run
    rebuilt. -#}

{% macro rebuilt_rows(relation) %}
    {#- The rows of a daily table that the run rebuilt, which a data test on it
        checks (the runs that built the other days checked them); on a full
        build, or of any other table, every row. -#}
    {%- do ref('refresh_plan') -%}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', relation.identifier) | list
        if execute and relation.identifier is defined else [] -%}
    {%- set meta = nodes[0].config.meta if nodes else {} -%}
    {%- if not meta.get('refresh_day_column') -%}
        {{ return('true') }}
    {%- endif -%}
    {#- The labels and features of the label window's earlier days: their
        days whole (their rows are found through other models). -#}
    {{ return(refreshed_rows(meta if meta.refresh_rebuilds in ['rows', 'labels']
        else dict(meta, refresh_rebuilds='labels'), relation.identifier)[0]) }}
{% endmacro %}
