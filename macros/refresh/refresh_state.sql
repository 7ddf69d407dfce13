{% macro refresh_state(table) %}
    {#- The relation of one of the refresh's bookkeeping tables (runs,
        windows, files), as the source feed_refresh declares it. Read only
        when a node runs (after the on-run-start hooks have created them), so
        the nodes that read them at compile time do not all become children
        of the source; the staging models that read the plan show the edge
        (see raw_source). -#}
    {{ return(source('feed_refresh', table)) }}
{% endmacro %}
