{% macro raw_files_predicate(source_name, which='to_read', file_column='source_file') %}
    {#- A predicate on the raw file a row came from, so an incremental run
        reads only the files it needs (DuckDB prunes the other files unread):
          which='to_read': files not yet in the ledger (stg_feed__raw_files)
                           plus files holding rows of the refresh window's days;
          which='new':     files not yet in the ledger.
        `true` (every file) on a full build or when there is no ledger yet. -#}
    {%- set window = refresh_window() -%}
    {%- if window.mode in ['parse', 'full'] -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set ledger = adapter.get_relation(
        database=target.database, schema=target.schema, identifier='stg_feed__raw_files') -%}
    {%- if ledger is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set overlap = ["source_name = '" ~ source_name ~ "'", "max_event_date is not null"] -%}
    {%- if window.start -%}
        {%- do overlap.append("max_event_date >= cast('" ~ window.start ~ "' as date)") -%}
    {%- endif -%}
    {%- if window.end -%}
        {%- do overlap.append("min_event_date <= cast('" ~ window.end ~ "' as date)") -%}
    {%- endif -%}
    {%- set query -%}
        select listed.file
        from ({{ list_raw_files(source_name) }}) as listed
        where listed.file not in (
            select source_file from {{ ledger }} where source_name = '{{ source_name }}'
        )
        {%- if which == 'to_read' %}
        union
        select source_file from {{ ledger }} where {{ overlap | join(' and ') }}
        {%- endif %}
    {%- endset -%}
    {%- set files = run_query(query).columns[0].values() | list -%}
    {%- if files | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for file in files | sort -%}
        {%- do quoted.append("'" ~ (file | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(file_column ~ ' in (' ~ (quoted | join(', ')) ~ ')') }}
{% endmacro %}

{% macro list_raw_files(source_name) %}
    {{- return(adapter.dispatch('list_raw_files', 'feed_training_data')(source_name)) -}}
{% endmacro %}

{% macro default__list_raw_files(source_name) %}
    {#- Engines without a file-listing function: the files rows come from. -#}
    select distinct {{ source_file_name() }} as file
    from {{ source('feed', source_name) }}
{%- endmacro %}

{% macro duckdb__list_raw_files(source_name) %}
    {#- The same glob as the source's external_location, listed without reading. -#}
    select file from glob('{{ var("raw_path") }}/{{ source_name }}/**/*.parquet')
{%- endmacro %}
