{#- The planner (model refresh_plan): decide once per run what it
    (re)processes, the window of days and the raw files, check the files,
    and return the plan as rows. -#}

{% macro plan_refresh() %}
    {#- Only the commands that build plan: dbt compile, docs and sqlfluff get
        an empty plan, without a query. -#}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return({'mode': 'full', 'start': none, 'rows_start': none, 'end': none, 'rows': []}) }}
    {%- endif -%}
    {%- set tables = raw_input_kind() == 'tables' -%}
    {%- if tables -%}
        {%- do check_raw_tables() -%}
    {%- else -%}
        {%- do register_raw_tables() -%}
    {%- endif -%}
    {%- set ledger = model_relation('raw_file_ledger') -%}
    {%- set window = refresh_window(ledger) -%}
    {%- set known = none if window.mode == 'full' else ledger -%}
    {%- set quarantine = raw_schema_mode() == 'quarantine' -%}
    {%- set listed, taken_in, problems, skipped, read_before = {}, {}, [], [], [] -%}
    {#- A delivery without its conversion record is skipped; read before, the run stops. -#}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- do listed.update({source_name: raw_files_against_ledger(
            source_name, known, recent_only=window.mode == 'scheduled')}) -%}
        {%- for file in listed[source_name] if file.status == 'unrecorded' -%}
            {%- do (read_before if file.recorded_size not in [none, '-1'] else skipped)
                .append(file.source_file.split('/')[:2] | join('/') ~ '/') -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if read_before -%}
        {{ exceptions.raise_compiler_error(
            "deliveries taken in earlier lost their conversion record (under " ~ raw_path()
            ~ "): " ~ (read_before | unique | join(', ')) ~ "\nA conversion of them did not "
            ~ "finish: convert that input again (it replaces them), then run again.") }}
    {%- elif skipped -%}
        {%- do exceptions.warn("feed raw files: skipped, no conversion record (a conversion "
            ~ "that did not finish; converting that input again replaces them), under "
            ~ raw_path() ~ ": " ~ (skipped | unique | join(', '))) -%}
    {%- endif -%}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- if tables and known is none and listed[source_name] | length == 0 -%}
            {{ exceptions.raise_compiler_error("no raw " ~ source_name ~ ": the table "
                ~ source('feed_tables', source_name) ~ " (var raw_input tables) holds no row") }}
        {%- elif not tables and present_raw_files(listed[source_name]) | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "no raw " ~ source_name ~ " files: nothing matches " ~ raw_glob(source_name)
                ~ (" but the deliveries skipped above" if skipped else "")
                ~ " (raw_path is " ~ raw_path() ~ "; set it with make ... RAW=<folder> or "
                ~ "--vars '{raw_path: <folder>}')") }}
        {%- endif -%}
        {%- set new_files = new_raw_files(listed[source_name]) -%}
        {%- set quarantined = {} -%}
        {%- for problem in ([] if tables else raw_schema_problems(source_name, new_files)) -%}
            {%- do problems.append('  ' ~ problem.source_file ~ ': ' ~ problem.problem) -%}
            {%- do quarantined.setdefault(problem.source_file, []).append(problem.problem) -%}
        {%- endfor -%}
        {#- Every file, unless one is set aside: none. -#}
        {%- do taken_in.update({source_name: {'quarantined': quarantined,
            'files': none if known is none and not quarantine and not skipped
                else new_files | reject('in', quarantined) | sort}}) -%}
    {%- endfor -%}
    {%- if problems and not quarantine -%}
        {{ exceptions.raise_compiler_error(
            "raw files whose schema breaks the input contract (under "
            ~ raw_path() ~ "):\n" ~ (problems | join('\n'))
            ~ "\nFix or replace these files (an ID must be an integer or a string, a "
            ~ "timestamp a timestamp or an ISO 8601 string), or run with --vars "
            ~ "'{raw_schema_errors: quarantine}' to set them aside and build the rest.") }}
    {%- elif problems -%}
        {{ log("feed raw files: quarantined (schema breaks the input contract, recorded in "
            ~ "raw_file_ledger, rows not read):\n" ~ (problems | join('\n')), info=true) }}
    {%- endif -%}
    {%- if window.mode == 'scheduled' -%}
        {%- do window.update(scheduled_start(window, taken_in, ledger)) -%}
    {%- else -%}
        {%- do window.update({'rows_start': window.start}) -%}
    {%- endif -%}
    {%- do check_raw_files_unchanged(window, listed, ledger) -%}
    {{ log("feed refresh: " ~ window.mode ~ " window, days "
        ~ (window.start or 'all') ~ " to " ~ (window.end or 'the end of the logs')
        ~ (", clean rows from " ~ window.rows_start if window.rows_start != window.start else ''),
        info=true) }}
    {%- set rows = [] -%}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- do rows.extend(planned_files(source_name, window, listed[source_name],
            taken_in[source_name], known)) -%}
    {%- endfor -%}
    {%- do window.update({'rows': rows}) -%}
    {{ return(window) }}
{% endmacro %}

{% macro refresh_window(ledger) %}
    {%- set dates = refresh_dates() -%}
    {%- set timedelta, date = modules.datetime.timedelta, modules.datetime.date -%}
    {%- set feature_days = feature_lookback_days() -%}
    {%- if should_full_refresh() -%}
        {{ return({'mode': 'full', 'start': none, 'end': none}) }}
    {%- elif dates.start is not none -%}
        {#- A window with an end also rebuilds the days whose features read its days. -#}
        {{ return({'mode': 'explicit', 'start': dates.start, 'end': none if dates.end is none
            else (date.fromisoformat(dates.end) + timedelta(days=feature_days)).isoformat()}) }}
    {%- elif dates.end is not none -%}
        {%- set reopen_days = ((reopen_horizon_seconds() + label_window_seconds()) / 86400.0)
            | round(0, 'ceil') | int -%}
        {%- set last_day = date.fromisoformat(dates.end) -%}
        {{ return({'mode': 'explicit',
            'start': (last_day + timedelta(days=1 - reopen_days)).isoformat(),
            'end': (last_day + timedelta(days=feature_days)).isoformat()}) }}
    {%- endif -%}
    {%- set last_run = run_query('select watermark_ts, completed_ts from '
        ~ source('feed_refresh', 'runs')
        ~ ' where watermark_ts is not null order by completed_ts desc limit 1').rows -%}
    {%- if last_run | length == 0 -%}
        {{ return({'mode': 'full', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- set stamps = [] -%}
    {%- for value in last_run[0] -%}
        {%- do stamps.append(modules.datetime.datetime.fromisoformat(value)
            if value is string else value) -%}
    {%- endfor -%}
    {{ return({'mode': 'scheduled', 'start': none, 'end': none,
        'watermark_ts': stamps[0], 'completed_ts': stamps[1]}) }}
{% endmacro %}

{% macro scheduled_start(window, taken_in, ledger) %}
    {%- set query -%}
        {%- for source_name, timestamp_column in [
            ('impressions', 'impression_ts'), ('engagements', 'engagement_ts')] %}
        select min(cast({{ cast_utc_timestamp(timestamp_column) }} as date))
        from {{ raw_rows_of(source_name, taken_in[source_name].files) }}
        {%- if ledger is not none %}
        union all
        select min(min_row_date)
        from {{ ledger }}
        where
            source_name = '{{ source_name }}'
            and quarantine_reason is null
            and first_seen_ts > cast('{{ window.completed_ts }}' as {{ dbt.type_timestamp() }})
        {%- endif %}
        {{ 'union all' if loop.first }}
        {%- endfor %}
    {%- endset -%}
    {%- set days = [] -%}
    {%- for row in run_query(query).rows if row[0] is not none -%}
        {%- do days.append(modules.datetime.date.fromisoformat(row[0])
            if row[0] is string else row[0]) -%}
    {%- endfor -%}
    {#- Nothing new: redo the last day (cheap, and changes nothing). -#}
    {%- set first_new_day = days | min if days else window.watermark_ts.date() -%}
    {%- set horizon_day = (window.watermark_ts
        - modules.datetime.timedelta(seconds=reopen_horizon_seconds())).date() -%}
    {#- Labels re-open a label window before the first day the new rows touch;
        the clean rows change only from that day (a new row before the window
        is too late). -#}
    {%- set start = [first_new_day, horizon_day] | max
        - modules.datetime.timedelta(days=label_window_days()) -%}
    {{ return({'start': start.isoformat(), 'rows_start': ([first_new_day, start] | max).isoformat()}) }}
{% endmacro %}

{% macro check_raw_files_unchanged(window, listed, ledger) %}
    {%- if ledger is none or window.mode == 'full' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set changed = [] -%}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- do changed.extend(listed[source_name] | selectattr('status', 'in', ['changed', 'removed'])) -%}
    {%- endfor -%}
    {%- if changed | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set first_days = changed | map(attribute='first_day') | reject('none') | list -%}
    {%- set start = first_days | min if first_days | length == changed | length else none -%}
    {%- set lines = [] -%}
    {%- set unit = ' rows loaded ' if raw_input_kind() == 'tables' else ' bytes modified ' -%}
    {%- for file in changed -%}
        {%- do lines.append('  ' ~ file.source_file ~ ': ' ~ file.recorded_size
            ~ unit ~ file.recorded_modified_ts ~ ' when taken in, now '
            ~ ('removed' if file.current_size is none else file.current_size
                ~ unit ~ file.current_modified_ts)) -%}
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
        (changed | length) ~ " raw file(s) or load batch(es) changed or removed after they were "
        ~ "taken in (under " ~ (raw_path() if raw_input_kind() == 'files' else 'the tables of source '
        ~ 'feed_tables') ~ "):\n" ~ (lines | join('\n'))
        ~ "\nDelivered files must not change: deliver corrections as new files. To take "
        ~ "these files in as they are now (a removed file: to drop its rows), run " ~ fix ~ ".") }}
{% endmacro %}

{% macro planned_files(source_name, window, listed, taken_in, ledger) %}
    {#- The log's files this run reads (the new ones and those holding rows of
        the days whose clean rows it rebuilds), then those it sets aside; a log with neither gets
        a row without a file. -#}
    {%- set present = present_raw_files(listed) -%}
    {%- set new_files = present if taken_in.files is none else taken_in.files -%}
    {%- set to_read = new_files -%}
    {%- if ledger is not none -%}
        {%- set overlap = ["source_name = '" ~ source_name ~ "'", "max_row_date is not null",
            "quarantine_reason is null"] -%}
        {%- if window.rows_start -%}
            {%- do overlap.append("max_row_date >= cast('" ~ window.rows_start ~ "' as date)") -%}
        {%- endif -%}
        {%- if window.end -%}
            {%- do overlap.append("min_row_date <= cast('" ~ window.end ~ "' as date)") -%}
        {%- endif -%}
        {#- A file the ledger holds that the folder no longer has is not read. -#}
        {%- set overlapping = run_query('select source_file from (' ~ current_raw_files(ledger)
            ~ ') as ledger where ' ~ (overlap | join(' and '))).columns[0].values()
            | reject('in', [] if raw_input_kind() == 'tables' else listed | selectattr('status',
                'in', ['removed', 'unrecorded']) | map(attribute='source_file') | list) | list -%}
        {%- set to_read = (to_read + overlapping) | unique | sort -%}
    {%- endif -%}
    {%- set footers = {} if raw_input_kind() == 'tables'
        else raw_file_fingerprints(new_files + (taken_in.quarantined.keys() | list)) -%}
    {#- The rows of each new file, which the run must account for: from its
        footer, a batch's count, or (Spark reads no footer here) a count. -#}
    {%- set counted = [] -%}
    {%- for name in new_files + (taken_in.quarantined.keys() | list)
        if raw_input_kind() == 'files' and footers.get(name, {}).get('rows') is none -%}
        {%- do counted.append(name) -%}
    {%- endfor -%}
    {%- set counts = raw_file_row_counts(source_name, counted) -%}
    {%- set rows = [] -%}
    {%- set as_listed = {} -%}
    {%- for file in listed -%}
        {%- do as_listed.update({file.source_file: file}) -%}
    {%- endfor -%}
    {%- for name in to_read -%}
        {#- A table's batch older than the listing: as the ledger recorded it. -#}
        {%- set file = as_listed.get(name, {}) -%}
        {%- set is_new = name in new_files -%}
        {%- do rows.append({'source_name': source_name, 'source_file': name,
            'file_size': file.get('current_size') or file.get('recorded_size'),
            'file_modified_ts': file.get('current_modified_ts') or file.get('recorded_modified_ts'),
            'is_read': true, 'is_new': is_new,
            'raw_rows': none if not is_new else file.get('current_size')
                if raw_input_kind() == 'tables' else footers.get(name, {}).get('rows', counts.get(name)),
            'footer_fingerprint': footers.get(name, {}).get('fingerprint')}) -%}
    {%- endfor -%}
    {%- if taken_in.quarantined -%}
        {%- for file, problems in taken_in.quarantined.items() -%}
            {%- do rows.append({'source_name': source_name, 'source_file': file, 'is_read': false,
                'is_new': true, 'footer_fingerprint': footers.get(file, {}).get('fingerprint'),
                'file_size': as_listed[file].current_size,
                'file_modified_ts': as_listed[file].current_modified_ts,
                'raw_rows': footers.get(file, {}).get('rows', counts.get(file, 0)),
                'quarantine_reason': 'schema: ' ~ (problems | join('; '))}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not rows -%}
        {%- do rows.append({'source_name': source_name, 'is_read': false, 'is_new': false}) -%}
    {%- endif -%}
    {{ return(rows) }}
{% endmacro %}
