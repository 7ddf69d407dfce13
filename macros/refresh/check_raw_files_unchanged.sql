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
    {%- set ledger = existing_target_relation('stg_feed__raw_files') -%}
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

{% macro removed_raw_files(source_name, ledger) %}
    {#- Files of one log the ledger holds as taken in (not quarantined, not
        recorded as removed) that the folder no longer has, as dicts like
        raw_files_against_ledger's with no current size. -#}
    {%- set query -%}
        select
            ledger.source_file,
            cast(ledger.file_size as {{ dbt.type_string() }}),
            cast(ledger.file_modified_ts as {{ dbt.type_string() }}),
            cast(ledger.min_row_date as {{ dbt.type_string() }})
        from ({{ current_raw_files(ledger) }}) as ledger
        where
            ledger.source_name = '{{ source_name }}'
            and ledger.file_size >= 0
            and ledger.quarantine_reason is null
            and ledger.source_file not in (
                select {{ relative_source_file('listed.file') }}
                from ({{ list_raw_files(source_name) }}) as listed
            )
        order by 1
    {%- endset -%}
    {%- set files = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do files.append({
            'source_file': row[0], 'status': 'removed', 'recorded_size': row[1],
            'recorded_modified_ts': row[2], 'current_size': none,
            'current_modified_ts': none, 'first_day': row[3]}) -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}
