{#- The raw files this run reads, each log's in the order they were
    delivered (file_rank 1 first): the files earlier runs took in come
    first, in the order the raw-file ledger first took them in; then the
    files no earlier run took in, by modification time, the path breaking
    exact ties only. Staging credits a clean row to the first of the files
    that hold it, so a row that a later file repeats stays with the file an
    earlier run counted it in, whatever the files are called. Ephemeral: a
    few rows, compiled into the staging models that read them. -#}
{%- set plan = refresh_plan() %}
{#- When each file was first taken in comes from the raw-file ledger, which
    is built after staging (it counts what staging kept): its records of
    earlier runs are read here, when the model compiles, before this run
    adds to it. A full build takes every file in anew. -#}
{%- set ledger = model_relation('raw_file_ledger') if is_refresh(plan) else none %}
{%- set taken_in_before = [] %}
{%- if ledger is not none %}
    {#- A file's first version taken in (neither set aside nor a removal):
        when, and its modification time then. A file rewritten or removed
        and delivered again keeps its place. #}
    {%- set query %}
        select source_file
        from {{ ledger }}
        where
            quarantine_reason is null
            and file_size >= 0
            and (
                (
                    source_name = 'impressions'
                    and {{ raw_files_predicate(plan, 'impressions') }}
                )
                or (
                    source_name = 'engagements'
                    and {{ raw_files_predicate(plan, 'engagements') }}
                )
            )
        group by source_file
        order by
            min(first_seen_ts),
            min_by(file_modified_ts, first_seen_ts),
            source_file
    {%- endset %}
    {%- set taken_in_before = run_query(query).columns[0].values() %}
{%- endif %}

with

listed_files as (

    select
        'impressions' as source_name,
        {{ relative_source_file('listed.file') }} as source_file,
        listed.file_modified_ts
    from {{ source('feed_files', 'impressions') }} as listed
    where {{ raw_files_predicate(plan, 'impressions', file_column='listed.file') }}
    union all
    select
        'engagements' as source_name,
        {{ relative_source_file('listed.file') }} as source_file,
        listed.file_modified_ts
    from {{ source('feed_files', 'engagements') }} as listed
    where {{ raw_files_predicate(plan, 'engagements', file_column='listed.file') }}

),

files_taken_in as (

    select
        source_name,
        source_file,
        {% if taken_in_before -%}
            case source_file
                {%- for file in taken_in_before %}
                    when {{ sql_string(file) }} then {{ loop.index }}
                {%- endfor %}
            end
        {%- else -%}
            cast(null as int)
        {%- endif %} as taken_in_order,
        file_modified_ts
    from listed_files

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
