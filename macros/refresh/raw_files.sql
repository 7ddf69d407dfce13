{#- The raw files as the folder holds them now (or a table's load batches),
    beside the file ledger: new, changed (size, modification time and, where
    the engine reads footers, the Parquet footer) or the same; or, in a folder that converters write
    (conversions/ holds files), unrecorded: of a delivery <log>/<name>/ whose
    record conversions/<name>.json is missing (its conversion did not finish). -#}

{% macro raw_files_against_ledger(source_name, ledger=none, recent_only=false) %}
    {%- set text = dbt.type_string() -%}
    {%- set tables = raw_input_kind() == 'tables' -%}
    {%- set records = source('feed_files', 'conversions') -%}
    {%- set delivery = dbt.split_part(
        'coalesce(listed.source_file, ledger.source_file)', "'/'", 2) -%}
    {#- A table lists the batches stamped after the latest the ledger holds,
        less the lag; the ledger is compared on the same batches. -#}
    {%- set since = none -%}
    {%- if tables and recent_only and ledger is not none -%}
        {%- set since = '(select coalesce(' ~ add_seconds('max(file_modified_ts)', -raw_load_lag_seconds())
            ~ ", cast('1000-01-01' as " ~ dbt.type_timestamp() ~ ')) from ' ~ ledger
            ~ " where source_name = '" ~ source_name ~ "')" -%}
    {%- endif -%}
    {%- set query -%}
        select
            coalesce(listed.source_file, ledger.source_file) as source_file,
            listed.source_file is not null as is_listed,
            ledger.source_file is not null as in_ledger,
            ledger.quarantine_reason is not null as quarantined,
            cast(ledger.file_size as {{ text }}) as recorded_size,
            cast(listed.file_size as {{ text }}) as current_size,
            cast(ledger.file_modified_ts as {{ text }}) as recorded_modified_ts,
            cast(listed.file_modified_ts as {{ text }}) as current_modified_ts,
            ledger.footer_fingerprint,
            cast(ledger.min_row_date as {{ text }}) as first_day,
            {%- if tables %}
            false as is_unrecorded
            {%- else %}
            (select count(*) from {{ records }}) > 0 and recorded.file is null as is_unrecorded
            {%- endif %}
        from ({{ raw_listing(source_name, since) }}) as listed
        full outer join (
            {%- if ledger is none %}
            select
                cast(null as {{ text }}) as source_file,
                cast(null as {{ text }}) as quarantine_reason,
                cast(null as bigint) as file_size,
                cast(null as {{ dbt.type_timestamp() }}) as file_modified_ts,
                cast(null as {{ text }}) as footer_fingerprint,
                cast(null as date) as min_row_date
            where false
            {%- else %}
            select * from ({{ current_raw_files(ledger) }}) as versions
            where
                source_name = '{{ source_name }}'
                {%- if since %}
                and file_modified_ts > {{ since }}
                {%- endif %}
            {%- endif %}
        ) as ledger
            on ledger.source_file = listed.source_file
        {%- if not tables %}
        left join {{ records }} as recorded
            on {{ relative_source_file('recorded.file') }}
                = {{ dbt.concat(["'conversions/'", delivery, "'.json'"]) }}
        {%- endif %}
        order by 1
    {%- endset -%}
    {%- set files = [] -%}
    {%- set touched = [] -%}
    {%- for row in run_query(query).rows if row[1] or (row[4] != '-1' and not row[3]) -%}
        {%- set file = {
            'source_file': row[0], 'recorded_size': row[4], 'current_size': row[5],
            'recorded_modified_ts': row[6], 'current_modified_ts': row[7],
            'footer_fingerprint': row[8], 'first_day': row[9]} -%}
        {%- if row[10] -%}
            {%- do file.update({'status': 'unrecorded'}) -%}
        {%- elif not row[1] -%}
            {%- do file.update({'status': 'removed'}) -%}
        {%- elif not row[2] or row[4] == '-1' -%}
            {%- do file.update({'status': 'new'}) -%}
        {%- elif row[4] == row[5] and row[6] == row[7] -%}
            {%- do file.update({'status': 'same'}) -%}
        {%- elif row[3] -%}
            {%- do file.update({'status': 'new'}) -%}
        {%- else -%}
            {%- do file.update({'status': 'changed'}) -%}
            {%- if row[4] == row[5] and row[8] is not none -%}
                {%- do touched.append(file) -%}
            {%- endif -%}
        {%- endif -%}
        {%- do files.append(file) -%}
    {%- endfor -%}
    {#- Copied or touched: same size, and the same footer is the same file. -#}
    {%- if touched and raw_input_kind() == 'files' -%}
        {%- set fingerprints = raw_file_fingerprints(touched | map(attribute='source_file') | list) -%}
        {%- for file in touched
            if fingerprints.get(file.source_file, {}).get('fingerprint') == file.footer_fingerprint -%}
            {%- do file.update({'status': 'same'}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(files) }}
{% endmacro %}

{% macro raw_listing(source_name, since=none) %}
    {#- What a log holds now, one row per file, or per load batch of a table:
        its name (a path under raw_path, or <log>/loaded_at=<time>), its size
        (bytes, or rows) and its modification (load) time. -#}
    {%- if raw_input_kind() == 'files' -%}
        select
            {{ relative_source_file('listed.file') }} as source_file,
            listed.file_size,
            listed.file_modified_ts
        from {{ source('feed_files', source_name) }} as listed
    {%- else -%}
        {%- set loaded_at = raw_loaded_at_column() -%}
        select
            {{ dbt.concat(["'" ~ source_name ~ "/loaded_at='", dbt.cast(loaded_at, dbt.type_string())]) }}
                as source_file,
            count(*) as file_size,
            max(cast({{ loaded_at }} as {{ dbt.type_timestamp() }})) as file_modified_ts
        from {{ source('feed_tables', source_name) }}
        {%- if since %}
        where cast({{ loaded_at }} as {{ dbt.type_timestamp() }}) > {{ since }}
        {%- endif %}
        group by {{ loaded_at }}
    {%- endif -%}
{% endmacro %}

{% macro new_raw_files(listed) %}
    {{ return(listed | selectattr('status', 'in', ['new', 'changed'])
        | map(attribute='source_file') | list) }}
{% endmacro %}

{% macro present_raw_files(listed) %}
    {{ return(listed | rejectattr('status', 'in', ['removed', 'unrecorded'])
        | map(attribute='source_file') | list) }}
{% endmacro %}

{% macro raw_file_fingerprints(files) %}
    {#- Per file: its footer's fingerprint and its rows, from the footer (none
        where the engine reads no footer here). -#}
    {%- set footers = {} -%}
    {%- for row in (run_query(raw_file_fingerprint_relation(none, files)).rows
        if files | length > 0 else []) -%}
        {%- do footers.update({row[0]: {'fingerprint': row[1], 'rows': row[2]}}) -%}
    {%- endfor -%}
    {{ return(footers) }}
{% endmacro %}

{% macro raw_file_fingerprint_relation(source_name, files) %}
    {{- return(adapter.dispatch('raw_file_fingerprint_relation', 'feed_training_data')(
        source_name, files)) -}}
{% endmacro %}

{% macro default__raw_file_fingerprint_relation(source_name, files) %}
    {{- unsupported_adapter('raw_file_fingerprint_relation') -}}
{% endmacro %}

{% macro spark__raw_file_fingerprint_relation(source_name, files) %}
    {#- Spark reads no footer here: no fingerprint (docs/spark.md). -#}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_string() }}) as footer_fingerprint,
        cast(null as bigint) as footer_rows
    where false
{%- endmacro %}

{% macro duckdb__raw_file_fingerprint_relation(source_name, files) %}
    {%- if files is not none and files | length == 0 -%}
        {{ return(spark__raw_file_fingerprint_relation(source_name, files)) }}
    {%- endif -%}
    {{ return(raw_file_fingerprint_query(sql_string(raw_glob(source_name)) if files is none
        else raw_file_list_literal(files))) }}
{%- endmacro %}

{% macro raw_file_fingerprint_query(footers_of) %}
    {#- An md5 of each file's footer (per row group and column: rows, sizes,
        statistics), and the file's rows, read without the data pages. -#}
    select
        {{ relative_source_file('file_name') }} as source_file,
        md5(string_agg(
            concat_ws(
                '|', row_group_id, column_id, path_in_schema, type, row_group_num_rows,
                num_values, total_compressed_size, total_uncompressed_size,
                stats_null_count, stats_min_value, stats_max_value
            ),
            ',' order by row_group_id, column_id
        )) as footer_fingerprint,
        sum(case when column_id = 0 then row_group_num_rows end) as footer_rows
    from parquet_metadata({{ footers_of }})
    group by file_name
{%- endmacro %}
