{% macro raw_schema_mode() %}
    {#- What a raw file whose schema breaks the input contract does: `fail`
        (the default) stops the run; `quarantine` sets the file aside whole. -#}
    {%- set mode = var('raw_schema_errors', 'fail') | string | lower -%}
    {%- if mode not in ['fail', 'quarantine'] -%}
        {{ exceptions.raise_compiler_error(
            "var raw_schema_errors must be fail or quarantine, got " ~ (mode | tojson)) }}
    {%- endif -%}
    {{ return(mode) }}
{% endmacro %}

{% macro raw_contract_columns(source_name) %}
    {#- The columns a raw file of the log must have, each with the types that
        hold it (engine type names) and how the contract says it. -#}
    {%- set id = {
        'types': ['tinyint', 'smallint', 'integer', 'int', 'bigint',
                  'utinyint', 'usmallint', 'uinteger', 'varchar', 'string'],
        'expected': 'an integer or a string',
    } -%}
    {%- set timestamp = {
        'types': ['timestamp', 'timestamp with time zone', 'timestamp_ns', 'timestamp_ms',
                  'timestamp_s', 'timestamp_ntz', 'varchar', 'string'],
        'expected': 'a timestamp or an ISO 8601 string',
    } -%}
    {%- set text = {'types': ['varchar', 'string'], 'expected': 'a string'} -%}
    {%- set columns = {'user_id': id, 'tweet_id': id} -%}
    {%- if source_name == 'impressions' -%}
        {%- do columns.update({'impression_ts': timestamp}) -%}
    {%- else -%}
        {%- do columns.update({'action': text, 'engagement_ts': timestamp}) -%}
    {%- endif -%}
    {{ return(columns) }}
{% endmacro %}

{% macro raw_schema_problems(source_name, files) %}
    {#- The contract breaches of raw files of one log (paths under raw_path),
        from their Parquet schemas, without reading rows: one dict per file
        and column that is missing or of a type that cannot hold it, with
        source_file, column, found (the type, or none when missing) and
        expected. -#}
    {%- if not execute or files | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found_types = raw_file_column_types(files) -%}
    {%- set problems = [] -%}
    {%- for file in files -%}
        {%- set types = found_types.get(file, {}) -%}
        {%- for column, contract in raw_contract_columns(source_name).items() -%}
            {%- set found = types.get(column) -%}
            {%- if found is none or (found | lower) not in contract.types -%}
                {%- do problems.append({
                    'source_file': file, 'column': column,
                    'found': found, 'expected': contract.expected}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}

{% macro describe_schema_problem(problem) %}
    {#- One schema problem as a sentence. -#}
    {%- if problem.found is none -%}
        {{ return(problem.source_file ~ ": required column " ~ problem.column
            ~ " is missing (expected " ~ problem.expected ~ ")") }}
    {%- endif -%}
    {{ return(problem.source_file ~ ": column " ~ problem.column ~ " is "
        ~ problem.found ~ ", expected " ~ problem.expected) }}
{% endmacro %}

{% macro raw_file_column_types(files) %}
    {{- return(adapter.dispatch('raw_file_column_types', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_column_types(files) %}
    {#- Spark: each file's schema from its footer (one DESCRIBE per file), as
        {source_file: {lower-case column name: type}}. -#}
    {%- set types = {} -%}
    {%- for file in files -%}
        {%- set columns = {} -%}
        {%- set described = run_query(
            'describe query select * from parquet.`' ~ absolute_raw_path() ~ '/' ~ file ~ '`') -%}
        {%- for row in described.rows -%}
            {%- do columns.update({row[0] | lower: row[1] | lower}) -%}
        {%- endfor -%}
        {%- do types.update({file: columns}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{% macro duckdb__raw_file_column_types(files) %}
    {#- DuckDB: every file's schema in one query over the Parquet footers. -#}
    {%- set file_list = raw_file_list_literal(files) -%}
    {%- set query -%}
        select
            {{ relative_source_file('file_name') }} as source_file,
            lower(name) as column_name,
            lower(duckdb_type) as column_type
        from parquet_schema({{ file_list }})
        where duckdb_type is not null
    {%- endset -%}
    {%- set types = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- if row[0] not in types -%}
            {%- do types.update({row[0]: {}}) -%}
        {%- endif -%}
        {%- do types[row[0]].update({row[1]: row[2]}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{% macro check_raw_file_schemas() %}
    {#- on-run-start: stop when a log has no raw file at all; check the
        schema of every raw file this run takes in
        for the first time (every file on --full-refresh or before any
        ledger), from the Parquet footers, before any row is read. A breach
        stops the run with the files, columns and types, unless
        raw_schema_errors is quarantine: then the file is set aside whole
        and recorded in the file ledger with the reason. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set mode = raw_schema_mode() -%}
    {%- set ledger = existing_target_relation('stg_feed__raw_files') -%}
    {%- set ledger = none if flags.FULL_REFRESH else ledger -%}
    {%- set problems = [] -%}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- set listed = run_query(
            'select count(*) from (' ~ list_raw_files(source_name) ~ ') as listed'
        ).columns[0].values()[0] -%}
        {%- if listed == 0 -%}
            {{ exceptions.raise_compiler_error(
                "no raw " ~ source_name ~ " files: nothing matches " ~ raw_glob(source_name)
                ~ " (raw_path is " ~ raw_path() ~ "; set it with make ... RAW=<folder> or "
                ~ "--vars '{raw_path: <folder>}')") }}
        {%- endif -%}
        {%- do problems.extend(raw_schema_problems(
            source_name, new_raw_files(source_name, ledger=ledger))) -%}
    {%- endfor -%}
    {%- if problems | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lines = [] -%}
    {%- for problem in problems -%}
        {%- do lines.append('  ' ~ describe_schema_problem(problem)) -%}
    {%- endfor -%}
    {%- if mode == 'quarantine' -%}
        {{ log("feed raw files: quarantined (schema breaks the input contract, "
            ~ "recorded in stg_feed__raw_files, rows not read):\n" ~ (lines | join('\n')),
            info=true) }}
        {{ return('') }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "raw files whose schema breaks the input contract (under "
        ~ raw_path() ~ "):\n" ~ (lines | join('\n'))
        ~ "\nFix or replace these files (an ID must be an integer or a string, a "
        ~ "timestamp a timestamp or an ISO 8601 string), or run with --vars "
        ~ "'{raw_schema_errors: quarantine}' to set them aside and build the rest.") }}
{% endmacro %}
