{% macro compute_raw_files_to_read(source_name, which, window) %}
    {#- Plan the raw files of one log (paths under raw_path, sorted) that an
        invocation with `window` reads, from the folder and the raw-file
        ledger, or none for every file (a full build, or no ledger yet, with
        no file quarantined):
          which='to_read': new files plus the files holding rows of the
                           refresh window's days;
          which='new':     files not in the ledger (stg_feed__raw_files) as
                           they are now: never seen, or changed since (same
                           path, other size or modification time).
        Files quarantined for their schema (raw_schema_errors: quarantine)
        are never read. -#}
    {%- set full = window.mode in ['parse', 'full'] -%}
    {%- set ledger = raw_file_ledger() -%}
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
