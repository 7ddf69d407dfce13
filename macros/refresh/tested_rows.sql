{#- What the project's data tests check of a daily table: the rows the run
    rebuilt. -#}

{% macro rebuilt_rows(relation, reopened_by=none) %}
    {#- The rows of a daily table the run rebuilt, as a subquery (the runs that
        built the other days checked them); on a full build, or of any other
        table, every row. The labels' re-opened rows alone when the test names
        the model they are found through (reopened_by: that dependency);
        otherwise, and for the features, the label window's days whole. -#}
    {%- do ref('refresh_plan') -%}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', relation.identifier) | list
        if execute and relation.identifier is defined else [] -%}
    {%- set meta = nodes[0].config.meta if nodes else {} -%}
    {#- A split mart: the days its table was written in this run. -#}
    {%- if meta.get('tested_days') == 'appended' -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ days_to_append(as_planned=true) ~ ')') }}
    {%- endif -%}
    {%- if not meta.get('refresh_day_column') -%}
        {{ return('(select * from ' ~ relation ~ ')') }}
    {%- endif -%}
    {%- set whole_days = meta.refresh_rebuilds == 'newly_kept'
        or (meta.refresh_rebuilds == 'engaged_pairs' and reopened_by is none) -%}
    {#- One select per predicate, as the pre-hook deletes them. -#}
    {%- set selects = [] -%}
    {%- for condition in refreshed_rows(dict(meta, refresh_rebuilds='labels')
        if whole_days else meta, relation.identifier) -%}
        {%- do selects.append('select * from ' ~ relation ~ ' as ' ~ relation.identifier
            ~ ' where ' ~ condition) -%}
    {%- endfor -%}
    {{ return('(' ~ selects | join('\n    union all\n    ') ~ ')') }}
{% endmacro %}
