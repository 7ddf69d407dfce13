{% macro raw_files_predicate(
    source_name, which='to_read', file_column='source_path', window=none, full_paths=true
) %}
    {#- A predicate on the raw file a row came from, so an incremental run
        reads only the files it needs (DuckDB prunes the other files unread):
          which='to_read': files not yet in the ledger (stg_feed__raw_files)
                           plus files holding rows of the refresh window's days;
          which='new':     files not yet in the ledger.
        `true` (every file) on a full build or when there is no ledger yet.
        The ledger keys files by their path under raw_path, so moving the logs
        to another folder does not make every file new; the predicate is on
        the full path as read (`file_column`), which the reader can prune on,
        or on the path under raw_path with full_paths=false. -#}
    {%- set window = window or refresh_window() -%}
    {%- if window.mode in ['parse', 'full'] -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set ledger = existing_target_relation('stg_feed__raw_files') -%}
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
        select {{ relative_source_file('listed.file') }}
        from ({{ list_raw_files(source_name) }}) as listed
        where {{ relative_source_file('listed.file') }} not in (
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
    {#- DuckDB prunes files on a literal list of the paths it reads; elsewhere
        compare the paths under raw_path. -#}
    {%- set full_paths = full_paths and target.type == 'duckdb' -%}
    {%- for file in files | sort -%}
        {%- set path = (var('raw_path') ~ '/' ~ file) if full_paths else file -%}
        {%- do quoted.append("'" ~ (path | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- if full_paths or file_column == 'source_file' -%}
        {{ return(file_column ~ ' in (' ~ (quoted | join(', ')) ~ ')') }}
    {%- endif -%}
    {{ return(relative_source_file(file_column) ~ ' in (' ~ (quoted | join(', ')) ~ ')') }}
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
