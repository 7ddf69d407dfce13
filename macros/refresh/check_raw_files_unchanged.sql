{% macro check_raw_files_unchanged(window) %}
    {#- on-run-start (from plan_refresh_window): delivered raw files must not
        change. A file the ledger holds whose size or modification time
        differs now (a file only copied or touched, with the same size and
        Parquet footer, is the same file) was rewritten: its rows were taken
        in as they were, so the marts no longer match it. The run stops with the files and the
        command that takes them in, unless it is that command: a full build,
        or a backfill without end date from on or before the first day the
        file held. That run reads the file whole and records the new version;
        its rows of days before the backfill are filed as `too_late`. A file
        removed from the folder is treated the same way: the backfill drops
        its rows and the ledger records the removal. -#}
    {%- set ledger = raw_file_ledger() -%}
    {%- if not execute or ledger is none or window.mode in ['parse', 'full'] -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set changed = [] -%}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- for file in raw_files_against_ledger(source_name, ledger) if file.status == 'changed' -%}
            {%- do changed.append(file) -%}
        {%- endfor -%}
        {%- for file in removed_raw_files(source_name, ledger) -%}
            {%- do changed.append(file) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if changed | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set first_days = changed | map(attribute='first_day') | reject('none') | list -%}
    {%- set start = first_days | min if first_days | length == changed | length else none -%}
    {%- set lines = [] -%}
    {%- for file in changed -%}
        {%- do lines.append('  ' ~ file.source_file ~ ': ' ~ file.recorded_size
            ~ ' bytes modified ' ~ file.recorded_modified_ts ~ ' when taken in, now '
            ~ ('removed' if file.current_size is none else file.current_size
                ~ ' bytes modified ' ~ file.current_modified_ts)) -%}
    {%- endfor -%}
    {%- if window.mode == 'explicit' and window.end is none and start is not none
        and window.start <= start -%}
        {{ log("feed raw files: taking in " ~ (changed | length) ~ " changed or removed file(s), "
            ~ "their days rebuilt from " ~ window.start ~ ":\n" ~ (lines | join('\n')), info=true) }}
        {{ return(changed) }}
    {%- endif -%}
    {%- set fix = ("make backfill START=" ~ start ~ " (dbt build --vars '{refresh_start_date: "
        ~ start ~ "}'), which rebuilds the days from the first the files held")
        if start is not none else "dbt build --full-refresh" -%}
    {{ exceptions.raise_compiler_error(
        (changed | length) ~ " raw file(s) changed or removed after they were taken in (under "
        ~ raw_path() ~ "):\n" ~ (lines | join('\n'))
        ~ "\nDelivered files must not change: deliver corrections as new files. To take "
        ~ "these files in as they are now (a removed file: to drop its rows), run " ~ fix ~ ".") }}
{% endmacro %}
