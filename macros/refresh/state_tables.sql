{#- on-run-start, bookkeeping before any node: the run ledger's tables exist,
    so that every node (the planner, the views over them) can read them. -#}

{% macro create_refresh_state_tables() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if load_relation(source('feed_refresh', 'runs')) is none -%}
        {%- do adapter.execute('create schema if not exists '
            ~ source('feed_refresh', 'runs').without_identifier()) -%}
    {%- endif -%}
    {#- The source's columns and types; commands (adapter.execute fetches
        nothing), one per call: Spark's session cursor takes one at a time. -#}
    {%- for table in graph.sources.values() if table.source_name == 'feed_refresh' -%}
        {%- set columns = [] -%}
        {%- for column in table.columns.values() -%}
            {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor -%}
        {%- if load_relation(source('feed_refresh', table.name)) is none -%}
            {%- do adapter.execute('create table if not exists ' ~ source('feed_refresh', table.name)
                ~ ' (' ~ (columns | join(', ')) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
