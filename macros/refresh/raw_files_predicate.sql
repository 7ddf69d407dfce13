{% macro raw_files_to_read(source_name, which='to_read', window=none) %}
    {#- The raw files of one log (paths under raw_path, sorted) that this
        invocation reads, or none for every file (a full build, or no ledger
        yet):
          which='to_read': files not yet in the ledger (stg_feed__raw_files)
                           plus files holding rows of the refresh window's days;
          which='new':     files not yet in the ledger. -#}
    {%- set window = window or refresh_window() -%}
    {%- if window.mode in ['parse', 'full'] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set ledger = existing_target_relation('stg_feed__raw_files') -%}
    {%- if ledger is none -%}
        {{ return(none) }}
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
    {{ return(run_query(query).columns[0].values() | sort) }}
{% endmacro %}

{% macro raw_files_predicate(
    source_name, which='to_read', file_column=none, window=none, full_paths=true
) %}
    {#- A predicate on the raw file a row came from, true for the files of
        raw_files_to_read(source_name, which, window), so that an incremental
        run reads only the files it needs (DuckDB prunes the others unread):
        `true` on a full build or when there is no ledger yet. The ledger keys
        files by their path under raw_path, so moving the logs to another
        folder does not make every file new. `file_column` (default: the
        reader's file name column) holds the full path as read, which the
        reader can prune on, or the path under raw_path with full_paths=false. -#}
    {%- set files = raw_files_to_read(source_name, which, window) -%}
    {%- if files is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if files | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set file_column = file_column or source_file_name() -%}
    {%- set quoted = [] -%}
    {#- DuckDB prunes files on a literal list of the paths it reads; elsewhere
        compare the paths under raw_path. -#}
    {%- set full_paths = full_paths and target.type == 'duckdb' -%}
    {%- for file in files -%}
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
    select file from glob('{{ raw_glob(source_name) }}')
{%- endmacro %}

{% macro raw_glob(source_name) %}
    {#- The glob of one log's Parquet files, as the DuckDB source reads them. -#}
    {{- return(var('raw_path') ~ '/' ~ source_name ~ '/**/*.parquet') -}}
{% endmacro %}
