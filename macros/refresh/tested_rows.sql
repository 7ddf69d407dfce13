{#- What the project's data tests check of a daily table: the rows the run
    rebuilt. -#}

{% macro rebuilt_rows(relation, reopened_by=none) %}
    {#- The rows of a daily table that the run rebuilt, which a data test on it
        reads (the runs that built the other days checked them), as a
        subquery; on a full build, or of any other table, every row. A model
        that rebuilds only some rows of its earlier days (the labels) has them
        tested alone when the test is given the model they are found through
        (reopened_by), which gives the test that dependency; otherwise those
        days are tested whole. -#}
    {%- do ref('refresh_plan') -%}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', relation.identifier) | list
        if execute and relation.identifier is defined else [] -%}
    {%- set meta = nodes[0].config.meta if nodes else {} -%}
    {%- if not meta.get('refresh_day_column') -%}
        {{ return('(select * from ' ~ relation ~ ')') }}
    {%- endif -%}
    {#- The features' earlier days: their rows are found through other models. -#}
    {%- set whole_days = meta.refresh_rebuilds == 'newly_kept'
        or (meta.refresh_rebuilds == 'engaged_pairs' and reopened_by is none) -%}
    {%- set conditions = refreshed_rows(dict(meta, refresh_rebuilds='labels')
        if whole_days else meta, relation.identifier) -%}
    {#- One select per predicate: an OR of a day and a subquery would cost
        DuckDB a join of every row. -#}
    {%- set selects = [] -%}
    {%- for condition in conditions -%}
        {%- do selects.append('select * from ' ~ relation ~ ' as ' ~ relation.identifier
            ~ ' where ' ~ condition) -%}
    {%- endfor -%}
    {{ return('(' ~ selects | join('\n    union all\n    ') ~ ')') }}
{% endmacro %}
