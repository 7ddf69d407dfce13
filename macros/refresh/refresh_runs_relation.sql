{% macro refresh_runs_relation() %}
    {#- The run ledger table (created by on-run-start). -#}
    {{ return(api.Relation.create(
        database=target.database, schema=target.schema, identifier='feed_refresh_runs')) }}
{% endmacro %}

{% macro refresh_windows_relation() %}
    {#- One row per invocation: the refresh window it planned (on-run-start). -#}
    {{ return(api.Relation.create(
        database=target.database, schema=target.schema, identifier='feed_refresh_windows')) }}
{% endmacro %}
