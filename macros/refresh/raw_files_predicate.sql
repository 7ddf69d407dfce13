{% macro raw_files_to_read(source_name, which='to_read', window=none) %}
    {#- The raw files of one log (paths under raw_path, sorted) that this
        invocation reads, or none for every file (a full build, or no ledger
        yet, with no file quarantined):
          which='to_read': new files plus the files holding rows of the
                           refresh window's days;
          which='new':     files not in the ledger (stg_feed__raw_files) as
                           they are now: never seen, or changed since (same
                           path, other size or modification time).
        Files quarantined for their schema (raw_schema_errors: quarantine)
        are never read. -#}
    {%- set window = window or refresh_window() -%}
    {%- set full = window.mode in ['parse', 'full'] -%}
    {%- set ledger = existing_target_relation('stg_feed__raw_files') -%}
    {%- set lenient = raw_schema_mode() == 'quarantine' and window.mode != 'parse' -%}
    {%- if (full or ledger is none) and not lenient -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set listed = raw_files_against_ledger(source_name, ledger=none if full else ledger) -%}
    {%- set new_files = [] -%}
    {%- for file in listed if file.status in ['new', 'changed'] -%}
        {%- do new_files.append(file.source_file) -%}
    {%- endfor -%}
    {%- if lenient -%}
        {%- set quarantined = [] -%}
        {%- for problem in raw_schema_problems(source_name, new_files) -%}
            {%- do quarantined.append(problem.source_file) -%}
        {%- endfor -%}
        {%- set new_files = new_files | reject('in', quarantined) | list -%}
    {%- endif -%}
    {%- if which == 'new' or full -%}
        {{ return(new_files | sort) }}
    {%- endif -%}
    {%- set overlap = [
        "source_name = '" ~ source_name ~ "'",
        "max_row_date is not null",
        "quarantine_reason is null",
    ] -%}
    {%- if window.start -%}
        {%- do overlap.append("max_row_date >= cast('" ~ window.start ~ "' as date)") -%}
    {%- endif -%}
    {%- if window.end -%}
        {%- do overlap.append("min_row_date <= cast('" ~ window.end ~ "' as date)") -%}
    {%- endif -%}
    {%- set query -%}
        select source_file from ({{ current_raw_files(ledger) }}) as ledger
        where {{ overlap | join(' and ') }}
    {%- endset -%}
    {#- A file the ledger holds but the folder no longer does is not read
        (check_raw_files_unchanged lets only a backfill of its days run). -#}
    {%- set present = listed | map(attribute='source_file') | list -%}
    {%- set overlapping = run_query(query).columns[0].values() | select('in', present) | list -%}
    {{ return((new_files + overlapping) | unique | sort) }}
{% endmacro %}

{% macro new_raw_files(source_name, ledger=none) %}
    {#- The raw files of one log (paths under raw_path) that `ledger` does not
        hold as they are now (never seen, or changed since): all files when
        ledger is none. -#}
    {%- set files = [] -%}
    {%- for file in raw_files_against_ledger(source_name, ledger)
        if file.status in ['new', 'changed'] -%}
        {%- do files.append(file.source_file) -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}

{% macro raw_files_against_ledger(source_name, ledger=none) %}
    {#- Every raw file of one log, as a dict: source_file, status and, for a
        file the ledger holds, its recorded and current size and
        modification time and first day. Status:
          new:     not in the ledger (or quarantined or recorded as removed
                   there, and delivered again since);
          changed: taken in, and its size, or its modification time and its
                   Parquet footer, differ now (a file only copied or touched,
                   same size and same footer, is the same file);
          same:    as the ledger records it. -#}
    {%- set query -%}
        select
            {{ relative_source_file('listed.file') }} as source_file,
            ledger.source_file is not null as in_ledger,
            ledger.quarantine_reason is not null as quarantined,
            cast(ledger.file_size as {{ dbt.type_string() }}) as recorded_size,
            cast(listed.file_size as {{ dbt.type_string() }}) as current_size,
            cast(ledger.file_modified_ts as {{ dbt.type_string() }}) as recorded_modified_ts,
            cast(listed.file_modified_ts as {{ dbt.type_string() }}) as current_modified_ts,
            ledger.footer_fingerprint,
            cast(ledger.min_row_date as {{ dbt.type_string() }}) as first_day
        from ({{ list_raw_files(source_name) }}) as listed
        {%- if ledger is not none %}
        left join ({{ current_raw_files(ledger) }}) as ledger
            on
                ledger.source_name = '{{ source_name }}'
                and ledger.source_file = {{ relative_source_file('listed.file') }}
        {%- else %}
        left join (
            select
                cast(null as {{ dbt.type_string() }}) as source_file,
                cast(null as {{ dbt.type_string() }}) as quarantine_reason,
                cast(null as bigint) as file_size,
                cast(null as {{ dbt.type_timestamp() }}) as file_modified_ts,
                cast(null as {{ dbt.type_string() }}) as footer_fingerprint,
                cast(null as date) as min_row_date
        ) as ledger on false
        {%- endif %}
        order by 1
    {%- endset -%}
    {%- set files = [] -%}
    {%- set touched = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- set file = {
            'source_file': row[0], 'recorded_size': row[3], 'current_size': row[4],
            'recorded_modified_ts': row[5], 'current_modified_ts': row[6],
            'footer_fingerprint': row[7], 'first_day': row[8]} -%}
        {%- if not row[1] or row[3] == '-1' -%}
            {%- do file.update({'status': 'new'}) -%}
        {%- elif row[3] == row[4] and row[5] == row[6] -%}
            {%- do file.update({'status': 'same'}) -%}
        {%- elif row[2] -%}
            {%- do file.update({'status': 'new'}) -%}
        {%- elif row[3] == row[4] and row[7] is not none -%}
            {%- do touched.append(file) -%}
            {%- do file.update({'status': 'changed'}) -%}
        {%- else -%}
            {%- do file.update({'status': 'changed'}) -%}
        {%- endif -%}
        {%- do files.append(file) -%}
    {%- endfor -%}
    {%- if touched -%}
        {%- set fingerprints = raw_file_fingerprints(touched | map(attribute='source_file') | list) -%}
        {%- for file in touched
            if fingerprints.get(file.source_file) == file.footer_fingerprint -%}
            {%- do file.update({'status': 'same'}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(files) }}
{% endmacro %}

{% macro current_raw_files(ledger) %}
    {#- The file ledger's current record of each file: a file that changed
        and was taken in again has one record per version, the latest counts. -#}
    select * from (
        select
            ledger.*,
            row_number() over (
                partition by source_name, source_file
                order by first_seen_ts desc
            ) as version_rank
        from {{ ledger }} as ledger
    ) as versions
    where version_rank = 1
{%- endmacro %}

{% macro raw_files_predicate(source_name, file_column, which='to_read', window=none) %}
    {#- A predicate on the raw file a row came from, true for the files of
        raw_files_to_read(source_name, which, window): `true` when that is
        every file. The ledger keys files by their path under raw_path, so
        moving the logs to another folder does not make every file new.
        `file_column` holds that path under raw_path (`source_file`), or the
        path as the reader gives it. -#}
    {%- set files = raw_files_to_read(source_name, which, window) -%}
    {%- if files is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if files | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append(sql_string(file)) -%}
    {%- endfor -%}
    {%- set relative = file_column if file_column == 'source_file'
        else relative_source_file(file_column) -%}
    {{ return(relative ~ ' in (' ~ (quoted | join(', ')) ~ ')') }}
{% endmacro %}

{% macro raw_source(source_name, which='to_read', window=none) %}
    {#- A unit test reads its fixture, given as the source. -#}
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

{% macro list_raw_files(source_name) %}
    {{- return(adapter.dispatch('list_raw_files', 'feed_training_data')(source_name)) -}}
{% endmacro %}

{% macro default__list_raw_files(source_name) %}
    {#- Spark: the files of the listing view that on-run-start declares over
        the log's folder (binaryFile, without reading their content):
        file, file_size (bytes), file_modified_ts. -#}
    select
        path as file,
        length as file_size,
        modificationTime as file_modified_ts
    from {{ raw_listing_view(source_name) }}
{%- endmacro %}

{% macro duckdb__list_raw_files(source_name) %}
    {#- The same glob as the source's external_location, listed with each
        file's size and modification time, without reading the files. -#}
    select
        filename as file,
        size as file_size,
        cast(last_modified as timestamp) as file_modified_ts
    from read_blob({{ sql_string(raw_glob(source_name)) }})
{%- endmacro %}

{% macro raw_glob(source_name) %}
    {#- The glob of one log's Parquet files, as the DuckDB source reads them. -#}
    {{- return(raw_path() ~ '/' ~ source_name ~ '/**/*.parquet') -}}
{% endmacro %}
