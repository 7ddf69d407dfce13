{#- The ledger of raw files: one row per Parquet file of either log and
    version of it, recorded by the run that first sees it as it is (path,
    size and modification time), with its rows and the days they cover. A
    refresh reads the files not in the ledger plus those holding rows of its
    window's days, and files as `too_late` the rows that a new file brings
    for days before the window. Delivered files are expected not to change:
    a run that finds one changed stops, unless it rebuilds the file's days
    (see check_raw_files_unchanged); then the new version is recorded. A file
    whose schema breaks the contract, when raw_schema_errors is quarantine,
    is recorded with the reason and its row count, and never read. The plan
    (refresh_plan) says which files are new, their footer fingerprints
    (DuckDB) and the files set aside. -#}
{#- Incremental, appended to (dbt_project.yml): a version of a file is
    recorded once, by the run that first takes it in. -#}

with

{# The rows and days of each file new to the ledger, from the rows the run
   read (every row of a new file is read). -#}
rows_of_new_files as (

    select
        'impressions' as source_name,
        source_file,
        row_date
    from {{ ref('base_feed__impressions') }}
    where {{ is_new_raw_file('impressions') }}
    union all
    select
        'engagements' as source_name,
        source_file,
        row_date
    from {{ ref('base_feed__engagements') }}
    where {{ is_new_raw_file('engagements') }}

),

new_files as (

    select
        source_name,
        source_file,
        count(*) as raw_rows,
        count(row_date) as rows_with_day,
        min(row_date) as min_row_date,
        max(row_date) as max_row_date
    from rows_of_new_files
    group by source_name, source_file

),

{# What the staging models took in from each new file. Reading them makes
   the ledger their child: a run that fails before they are built records
   no file, so the next run (or dbt retry) still sees the files as new. -#}
clean_rows_of_new_files as (

    select
        'impressions' as source_name,
        source_file
    from {{ ref('stg_feed__impressions') }}
    where
        {{ is_new_raw_file('impressions') }}
        and {{ in_rows_window('impression_date') }}
    union all
    select
        'engagements' as source_name,
        source_file
    from {{ ref('stg_feed__engagements') }}
    where
        {{ is_new_raw_file('engagements') }}
        and {{ in_rows_window('engagement_date') }}

),

clean_files as (

    select
        source_name,
        source_file,
        count(*) as clean_rows
    from clean_rows_of_new_files
    group by source_name, source_file

),

rejected_per_file as (

    select
        source_name,
        source_file,
        count(*) as rejected_rows
    from {{ ref('stg_feed__rejected_rows') }}
    where
        (
            source_name = 'impressions'
            and {{ is_new_raw_file('impressions') }}
        )
        or (
            source_name = 'engagements'
            and {{ is_new_raw_file('engagements') }}
        )
    group by source_name, source_file

),

{# The files this run set aside for their schema (quarantine), as the
   planning hook recorded them. -#}
quarantined_files as (

    select
        source_name,
        source_file,
        raw_rows,
        0 as rows_with_day,
        cast(null as date) as min_row_date,
        cast(null as date) as max_row_date,
        quarantine_reason
    from {{ ref('refresh_plan') }}
    where quarantine_reason is not null

),

files_taken_in as (

    select
        *,
        cast(null as {{ dbt.type_string() }}) as quarantine_reason
    from new_files
    union all
    select * from quarantined_files

),

{# The folders' listing (a source), beside what staging took in (models):
   the files still delivered, which removed_files reads on a refresh. A
   table's load batches are not listed whole. -#}
listed_files as (  -- noqa: ST03

    {%- if raw_input_kind() == 'files' %}
        select
            'impressions' as source_name,
            {{ relative_source_file('listed.file') }} as source_file
        from {{ source('feed_files', 'impressions') }} as listed
        union all
        select
            'engagements' as source_name,
            {{ relative_source_file('listed.file') }} as source_file
        from {{ source('feed_files', 'engagements') }} as listed
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as source_name,
            cast(null as {{ dbt.type_string() }}) as source_file
        where false
    {%- endif %}

),

{# Each new file (or load batch) as the planner listed it. -#}
planned_new_files as (

    select
        source_name,
        source_file,
        file_size,
        file_modified_ts,
        footer_fingerprint
    from {{ ref('refresh_plan') }}
    where is_new

),

files_as_listed as (

    select
        files_taken_in.*,
        planned_new_files.file_size,
        planned_new_files.file_modified_ts,
        planned_new_files.footer_fingerprint,
        coalesce(clean_files.clean_rows, 0) as clean_rows,
        coalesce(rejected_per_file.rejected_rows, 0) as rejected_rows
    from files_taken_in
    inner join planned_new_files
        on
            files_taken_in.source_name = planned_new_files.source_name
            and files_taken_in.source_file = planned_new_files.source_file
    left join clean_files
        on
            files_taken_in.source_name = clean_files.source_name
            and files_taken_in.source_file = clean_files.source_file
    left join rejected_per_file
        on
            files_taken_in.source_name = rejected_per_file.source_name
            and files_taken_in.source_file = rejected_per_file.source_file

),

{# A run that plans a full window on an existing ledger (a first build that
   failed, run again) finds files, as they are, that the failed run
   recorded: a file is recorded again only when it differs from its latest
   record (a file removed and delivered again as it was is recorded anew). -#}
files_not_in_ledger as (

    select files_as_listed.*
    from files_as_listed
    {% if is_incremental() -%}
        where not exists (
            select 1
            from ({{ current_raw_files(this) }}) as ledger
            where
                files_as_listed.source_name = ledger.source_name
                and files_as_listed.source_file = ledger.source_file
                and files_as_listed.file_size = ledger.file_size
                and files_as_listed.file_modified_ts = ledger.file_modified_ts
        )
    {%- endif %}

),

files as (

    select
        source_name,
        source_file,
        cast(file_size as bigint) as file_size,
        cast(file_modified_ts as {{ dbt.type_timestamp() }}) as file_modified_ts,
        cast(footer_fingerprint as {{ dbt.type_string() }}) as footer_fingerprint,
        '{{ invocation_id }}' as first_seen_invocation_id,
        (select max(planned.window_mode) from {{ ref('refresh_plan') }} as planned)
            as first_seen_window_mode,
        cast(raw_rows as bigint) as raw_rows,
        cast(rows_with_day as bigint) as rows_with_day,
        cast(clean_rows as bigint) as clean_rows,
        cast(rejected_rows as bigint) as rejected_rows,
        min_row_date,
        max_row_date,
        quarantine_reason,
        {{ dbt.current_timestamp() }} as first_seen_ts
    from files_not_in_ledger

),

{# A file the ledger holds that the folder no longer has: the run got past
   the planner (a backfill of its days, or a full window), so its removal is
   taken in; a version of size -1 records it. A table's load batches are
   not listed whole: none is recorded removed. -#}
removed_files as (

    select
        ledger.source_name,
        ledger.source_file,
        cast(-1 as bigint) as file_size,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as file_modified_ts,
        cast(null as {{ dbt.type_string() }}) as footer_fingerprint,
        '{{ invocation_id }}' as first_seen_invocation_id,
        (select max(planned.window_mode) from {{ ref('refresh_plan') }} as planned)
            as first_seen_window_mode,
        cast(0 as bigint) as raw_rows,
        cast(0 as bigint) as rows_with_day,
        cast(0 as bigint) as clean_rows,
        cast(0 as bigint) as rejected_rows,
        cast(null as date) as min_row_date,
        cast(null as date) as max_row_date,
        cast(null as {{ dbt.type_string() }}) as quarantine_reason,
        {{ dbt.current_timestamp() }} as first_seen_ts
    {% if is_incremental() and raw_input_kind() == 'files' -%}
        from ({{ current_raw_files(this) }}) as ledger
        where
            ledger.file_size >= 0
            and not exists (
                select 1
                from listed_files
                where
                    listed_files.source_name = ledger.source_name
                    and listed_files.source_file = ledger.source_file
            )
    {%- else -%}
        from files as ledger
        where false
    {%- endif %}

)

select * from files
union all
select * from removed_files
