{#- The refresh plan: what this run (re)processes, decided once, before any
    model that reads the logs. One row per raw file the run reads or sets
    aside, each with the window of days the run rebuilds (the same on every
    row); a log with no such file gets one row without a file. Every daily
    model reads its window and files from this table, in its own SQL.

    The planner (plan_refresh, macros/refresh/planning.sql) compares each
    log's folder with the raw-file ledger, checks the schema of the files new
    to it, and decides the window: on a full build everything; on a
    scheduled run from the days the new rows touch, within the re-open
    horizon; or the days the refresh_start_date / refresh_end_date vars
    give. A scheduled run rebuilds the clean rows (and what is counted from
    them) from the first day its new rows touch (rows_window_start), and the
    labels (and what follows from them) from a label window earlier
    (window_start), whose examples the new engagements can reach; it also
    appends the days that matured since int_examples_with_features was last
    written (from appends_from), which the split marts' tests read. It stops
    the run, naming the files, when a delivered file changed or a new one
    breaks the input contract. A table, replaced by every run that builds: a
    node that runs without the planner (dbt retry, a selection) reads the
    last plan. -#}
{%- set plan = plan_refresh() %}
{%- set text = dbt.type_string() %}
{#- The marts' table as the run finds it (no ref: the planner runs first). -#}
{%- set marts_table = model_relation('int_examples_with_features')
    if execute and plan.mode != 'full' else none %}

with

planned_files as (

    select
        cast(planned.source_name as {{ text }}) as source_name,
        cast(planned.source_file as {{ text }}) as source_file,
        cast(planned.footer_fingerprint as {{ text }}) as footer_fingerprint,
        cast(planned.quarantine_reason as {{ text }}) as quarantine_reason,
        cast(planned.file_size as bigint) as file_size,
        cast(planned.raw_rows as bigint) as raw_rows,
        cast(planned.is_read as boolean) as is_read,
        cast(planned.is_new as boolean) as is_new,
        cast(planned.file_modified_ts as {{ dbt.type_timestamp() }}) as file_modified_ts
    from (
        values
        {%- for row in plan.rows %}
            (
                {{ sql_string(row.source_name) }},
                {{ sql_string(row.source_file) if row.get('source_file') else 'null' }},
                {{ sql_string(row.footer_fingerprint) if row.get('footer_fingerprint') else 'null' }},
                {{ sql_string(row.quarantine_reason) if row.get('quarantine_reason') else 'null' }},
                {{ row.file_size if row.get('file_size') is not none else 'null' }},
                {{ row.raw_rows if row.get('raw_rows') is not none else 'null' }},
                {{ 'true' if row.is_read else 'false' }},
                {{ 'true' if row.is_new else 'false' }},
                {{ sql_string(row.file_modified_ts) if row.get('file_modified_ts') else 'null' }}
            ){{ ',' if not loop.last }}
        {%- else %}
            ('none', null, null, null, null, null, false, false, null)
        {%- endfor %}
    )
        as planned (
            source_name,
            source_file,
            footer_fingerprint,
            quarantine_reason,
            file_size,
            raw_rows,
            is_read,
            is_new,
            file_modified_ts
        )
    where {{ 'true' if plan.rows else 'false' }}  -- noqa: LT02

),

plan as (

    select
        '{{ invocation_id }}' as invocation_id,
        '{{ plan.mode }}' as window_mode,
        source_name,
        source_file,
        footer_fingerprint,
        quarantine_reason,
        file_size,
        raw_rows,
        is_read,
        is_new,
        file_modified_ts,
        {{ "cast('" ~ plan.start ~ "' as date)" if plan.start else 'cast(null as date)' }}
            as window_start,
        {{ "cast('" ~ plan['end'] ~ "' as date)" if plan['end'] else 'cast(null as date)' }}
            as window_end,
        {{ "cast('" ~ plan.rows_start ~ "' as date)" if plan.rows_start else 'cast(null as date)' }}
            as rows_window_start,
        {{ '(select ' ~ add_days('max(event_date)', 1) ~ ' from ' ~ marts_table ~ ')'
            if marts_table else 'cast(null as date)' }} as appends_from,
        {{ dbt.current_timestamp() }} as planned_ts
    from planned_files

)

select * from plan
