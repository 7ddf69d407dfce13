{% macro target_relation(identifier) %}
    {#- A relation in the target schema (no database on engines without one). -#}
    {{ return(api.Relation.create(
        database=target.database if target.database is defined else none,
        schema=target.schema,
        identifier=identifier)) }}
{% endmacro %}

{% macro existing_target_relation(identifier) %}
    {#- The relation in the target schema if it exists, else none. -#}
    {%- set relation = target_relation(identifier) -%}
    {{ return(adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{% endmacro %}

{% macro refresh_runs_relation() %}
    {#- The run ledger table (created by on-run-start). -#}
    {{ return(target_relation('feed_refresh_runs')) }}
{% endmacro %}

{% macro refresh_windows_relation() %}
    {#- One row per invocation: the refresh window it planned (on-run-start). -#}
    {{ return(target_relation('feed_refresh_windows')) }}
{% endmacro %}
