{#- Reading the raw Parquet files: the files a run planned, each row with the
    file it came from (a path under raw_path) and its row number in it. -#}

{% macro raw_source(source_name, plan) %}
    {%- if execute and model.resource_type == 'unit_test' -%}
        {{ return(source('feed', source_name) ~ ' as raw_rows') }}
    {%- endif -%}
    {{ return(raw_rows_of(source_name, planned_files(plan, source_name))) }}
{% endmacro %}

{% macro raw_rows_of(source_name, files) %}
    {{- return(adapter.dispatch('raw_rows_of', 'feed_training_data')(source_name, files)) -}}
{% endmacro %}

{% macro default__raw_rows_of(source_name, files) %}
    {#- Spark prunes the files on `_metadata` before it reads them. -#}
    (
        select
            raw_rows.*,
            raw_rows._metadata.file_path as filename,
            raw_rows._metadata.row_index as file_row_number
        from {{ source('feed', source_name) }} as raw_rows
        {%- if files is not none %}
        where {{ relative_source_file('raw_rows._metadata.file_path') }} in (
            {%- for file in files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% else %}null{% endfor -%}
        )
        {%- endif %}
    ) as raw_rows
{%- endmacro %}

{% macro duckdb__raw_rows_of(source_name, files) %}
    {#- A list of files, so that only they are opened and only their types are
        unified (a quarantined file never changes how another is read). -#}
    {%- if files is none -%}
        {{ return(source('feed', source_name) ~ ' as raw_rows') }}
    {%- elif files | length == 0 -%}
        {{ return('(select * from ' ~ source('feed', source_name) ~ ' where false) as raw_rows') }}
    {%- endif -%}
    read_parquet(
        {{ raw_file_list_literal(files) }},
        union_by_name = true, filename = true, file_row_number = true
    ) as raw_rows
{%- endmacro %}
