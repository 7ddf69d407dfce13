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
    {%- set ledger = raw_file_ledger() -%}
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
