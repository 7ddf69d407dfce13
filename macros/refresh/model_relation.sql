{% macro model_relation(model_name) %}
    {#- The relation of one of the project's models as ref() resolves it
        (schema and alias from the graph), for the hooks, where dbt's ref()
        must be declared in advance, and for compile-time reads from nodes
        that do not depend on the model. None while it is not built. -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}
