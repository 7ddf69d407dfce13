{#- The raw files this run reads, each log's in the order they were
    delivered (file_rank 1 first): the files earlier runs took in come
    first, in the order the raw-file ledger first took them in; then the
    files no earlier run took in, by modification time, the path breaking
    exact ties only. Staging credits a clean row to the first of the files
    that hold it, so a row that a later file repeats stays with the file an
    earlier run counted it in, whatever the files are called. Ephemeral: a
    few rows, compiled into the staging models that read them. -#}
{#- When each file was first taken in comes from the raw-file ledger, which
    is built after staging (it counts what staging kept), so it still holds
    only the earlier runs' records when this run's staging reads it. It is
    not a ref (the ledger reads staging); a full build takes every file in
    anew and reads none of it. -#}
{%- set ledger = model_relation('raw_file_ledger')
    if execute and model.resource_type == 'model' else none %}

with

{# The files the plan reads, with their modification times as listed. -#}
planned_files as (

    select
        source_name,
        source_file,
        file_modified_ts
    from {{ ref('refresh_plan') }}
    where is_read

),

files_taken_in_before as (

    {#- A file's first version taken in (neither set aside nor a removal):
        its place in the order the ledger took files in. A file rewritten or
        removed and delivered again keeps its place. -#}
    {%- if ledger is not none %}
        select
            source_name,
            source_file,
            row_number() over (
                partition by source_name
                order by
                    min(first_seen_ts),
                    min_by(file_modified_ts, first_seen_ts),
                    source_file
            ) as taken_in_order
        from {{ ledger }}
        where
            quarantine_reason is null
            and file_size >= 0
            and (select max(window_mode) from {{ ref('refresh_plan') }}) != 'full'
        group by source_name, source_file
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as source_name,
            cast(null as {{ dbt.type_string() }}) as source_file,
            cast(null as int) as taken_in_order
        where false
    {%- endif %}

),

files_taken_in as (

    select
        planned_files.source_name,
        planned_files.source_file,
        files_taken_in_before.taken_in_order,
        planned_files.file_modified_ts
    from planned_files
    left join files_taken_in_before
        on
            planned_files.source_name = files_taken_in_before.source_name
            and planned_files.source_file = files_taken_in_before.source_file

),

files_in_delivery_order as (

    select
        source_name,
        source_file,
        row_number() over (
            partition by source_name
            order by taken_in_order nulls last, file_modified_ts, source_file
        ) as file_rank,
        taken_in_order,
        file_modified_ts
    from files_taken_in

)

select * from files_in_delivery_order
