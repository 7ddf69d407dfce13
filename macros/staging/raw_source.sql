{#- Reading the raw Parquet files: the files a run planned, each row with the
    file it came from (a path under raw_path) and its row number in it. Only
    the contract's columns are read: no column of a file, whatever its name,
    meets the two the reader adds. -#}

{% macro raw_source(source_name) %}
    {%- if execute and model.resource_type == 'unit_test' -%}
        {{ return(source('feed', source_name) ~ ' as raw_rows') }}
    {%- endif -%}
    {{ return(raw_rows_of(source_name, planned_raw_files(source_name))) }}
{% endmacro %}

{% macro planned_raw_files(source_name) %}
    {#- An engine opens only the files it is given as a list: the plan's files
        of the log, read when the node compiles (the one query a raw reader
        runs then). Commands that build nothing (dbt compile, docs, sqlfluff)
        get every file. -#}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'test', 'retry'] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query('select source_file from ' ~ ref('refresh_plan') ~ " where source_name = '"
        ~ source_name ~ "' and is_read order by source_file").columns[0].values() | list) }}
{% endmacro %}

{% macro raw_columns(source_name) %}
    {%- set context = impression_context_columns() | map(attribute='name') | list -%}
    {{ return(['user_id', 'tweet_id']
        + (['impression_ts'] + context if source_name == 'impressions'
            else ['action', 'engagement_ts'])) }}
{% endmacro %}

{% macro raw_rows_of(source_name, files) %}
    {#- The rows of the given files (or load batches), none for every one:
        the contract's columns, the file's path under raw_path (a batch's
        name) as source_file and the row's number in it as file_row_number. -#}
    {%- if raw_input_kind() == 'tables' -%}
        {{ return(raw_rows_of_table(source_name, files)) }}
    {%- endif -%}
    {{- return(adapter.dispatch('raw_rows_of', 'feed_training_data')(source_name, files)) -}}
{% endmacro %}

{% macro default__raw_rows_of(source_name, files) %}
    {{- unsupported_adapter('raw_rows_of') -}}
{% endmacro %}

{% macro spark__raw_rows_of(source_name, files) %}
    {#- Spark prunes the files on `_metadata` before it reads them; the table
        declares only the contract's columns (register_raw_tables). -#}
    (
        select
            raw_rows.{{ raw_columns(source_name) | join(', raw_rows.') }},
            {{ relative_source_file('raw_rows._metadata.file_path') }} as source_file,
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
        unified (a quarantined file never changes how another is read). The
        `schema` map reads only the contract's columns, typed as union_by_name
        types them, asked of the files by the commands that read rows. -#}
    {%- set columns = raw_columns(source_name) | join(', ') -%}
    {%- if files is none -%}
        {%- set location = 'read_parquet(' ~ sql_string(raw_glob(source_name))
            ~ ', union_by_name = true, filename = true, file_row_number = true)' -%}
    {%- elif files | length == 0 -%}
        {{ return('(select ' ~ columns ~ ', null::varchar as source_file, null::bigint as file_row_number'
            ~ ' from ' ~ source('feed', source_name) ~ ' where false) as raw_rows') }}
    {%- else -%}
        {%- set schema = [] -%}
        {%- for name, type in run_query('select column_name, column_type from (describe select '
            ~ columns ~ ' from read_parquet(' ~ raw_file_list_literal(files)
            ~ ', union_by_name = true))').rows -%}
            {%- do schema.append(sql_string(name) ~ ': {name: ' ~ sql_string(name) ~ ', type: '
                ~ sql_string(type) ~ ', default_value: null}') -%}
        {%- endfor -%}
        {%- set location -%}
            read_parquet(
                {{ raw_file_list_literal(files) }}, schema = map { {{- schema | join(', ') -}} },
                filename = true, file_row_number = true
            )
        {%- endset -%}
    {%- endif -%}
    {{ return('(select ' ~ columns ~ ', ' ~ relative_source_file('filename')
        ~ ' as source_file, file_row_number from ' ~ location ~ ') as raw_rows') }}
{%- endmacro %}

{% macro raw_rows_of_table(source_name, batches) %}
    {#- A log held in a table: a load batch is the rows stamped with one load
        time, named `<log>/loaded_at=<time>`; a row's number is its rank in
        its batch by its values (identical rows are interchangeable). -#}
    {%- set loaded_at = raw_loaded_at_column() -%}
    {%- set batch = dbt.concat(["'" ~ source_name ~ "/loaded_at='",
        dbt.cast(loaded_at, dbt.type_string())]) -%}
    (
        select
            {{ raw_columns(source_name) | join(',\n            ') }},
            {{ batch }} as source_file,
            row_number() over (
                partition by {{ loaded_at }}
                order by {{ raw_columns(source_name) | join(', ') }}
            ) - 1 as file_row_number
        from {{ source('feed_tables', source_name) }}
        {%- if batches is not none %}
        where {{ batch }} in (
            {%- for name in batches %}{{ sql_string(name) }}{{ ', ' if not loop.last }}{% else %}null{% endfor -%}
        )
        {%- endif %}
    ) as raw_rows
{%- endmacro %}
