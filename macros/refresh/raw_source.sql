{% macro raw_source(source_name, which='to_read', window=none) %}
    {#- The raw rows a node reads from one log, as planned for the
        invocation (raw_files_to_read). The plan is read when the node
        compiles; naming its sources at parse time records them as the
        node's parents, so lineage shows which staging models read it. A
        unit test reads its fixture, given as the source. -#}
    {%- if not execute -%}
        {%- do refresh_state('windows') -%}
        {%- do refresh_state('files') -%}
    {%- endif -%}
    {%- if execute and model.resource_type == 'unit_test' -%}
        {{ return(source('feed', source_name) ~ ' as raw_rows') }}
    {%- endif -%}
    {{- return(adapter.dispatch('raw_source', 'feed_training_data')(source_name, which, window)) -}}
{% endmacro %}

{% macro default__raw_source(source_name, which='to_read', window=none) %}
    {#- The raw rows of the files raw_files_to_read(source_name, which,
        window), as a relation with the log's columns plus `filename` (the
        file's path as read) and `file_row_number` (from 0 within the file).
        Spark prunes files on the `_metadata` columns before reading them. -#}
    {%- set files = raw_files_to_read(source_name, which, window) -%}
    (
        select
            raw_rows.*,
            raw_rows._metadata.file_path as filename,
            raw_rows._metadata.row_index as file_row_number
        from {{ source('feed', source_name) }} as raw_rows
        {%- if files is not none %}
        where {{ raw_files_predicate(
            source_name, 'raw_rows._metadata.file_path', which, window) }}
        {%- endif %}
    ) as raw_rows
{%- endmacro %}

{% macro duckdb__raw_source(source_name, which='to_read', window=none) %}
    {#- DuckDB: the glob when every file is read, else the list of files, so
        that only they are opened and only their types are unified (a
        quarantined file never changes how another file's rows are read). -#}
    {%- set files = raw_files_to_read(source_name, which, window) -%}
    {%- if files is none -%}
        {{ return(source('feed', source_name) ~ ' as raw_rows') }}
    {%- endif -%}
    {%- if files | length == 0 -%}
        {{ return('(select * from ' ~ source('feed', source_name) ~ ' where false) as raw_rows') }}
    {%- endif -%}
    {%- set file_list = raw_file_list_literal(files) -%}
    read_parquet(
        {{ file_list }},
        union_by_name = true, filename = true, file_row_number = true
    ) as raw_rows
{%- endmacro %}
