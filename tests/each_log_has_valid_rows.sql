{#- A log without a single valid row leaves the watermark without a reach
    and nothing to build. Stops the run with an error that says so, per log:
    how many of the rows this run read were rejected, for which reasons, and
    in which files. Passes while each log reaches; the rows are then not read
    (the join with no log is empty). It reads only the watermark's
    ancestors, so the models after the watermark wait for it. -#}

with

watermark as (

    select
        impressions_max_ts,
        engagements_max_ts
    from {{ ref('int_log_watermark') }}

),

logs_without_valid_rows as (

    select
        'impressions' as source_name,
        'impression' as row_name
    from watermark
    where impressions_max_ts is null
    union all
    select
        'engagements' as source_name,
        'engagement' as row_name
    from watermark
    where engagements_max_ts is null

),

rejected_rows as (

    select
        logs_without_valid_rows.source_name,
        impressions.reject_reason,
        impressions.source_file
    from {{ ref('base_feed__impressions') }} as impressions
    inner join logs_without_valid_rows
        on logs_without_valid_rows.source_name = 'impressions'
    where impressions.reject_reason is not null
    union all
    select
        logs_without_valid_rows.source_name,
        engagements.reject_reason,
        engagements.source_file
    from {{ ref('base_feed__engagements') }} as engagements
    inner join logs_without_valid_rows
        on logs_without_valid_rows.source_name = 'engagements'
    where engagements.reject_reason is not null

),

rejected_files as (

    select distinct
        source_name,
        source_file
    from rejected_rows

),

reasons as (

    select
        source_name,
        reject_reason,
        count(*) as rejected_rows
    from rejected_rows
    group by source_name, reject_reason

),

reasons_per_log as (

    select
        source_name,
        sum(rejected_rows) as rejected_rows,
        {{ dbt.listagg(
            "reject_reason || ': ' || cast(rejected_rows as " ~ dbt.type_string() ~ ")",
            "', '") }} as reasons
    from reasons
    group by source_name

),

files_per_log as (

    select
        source_name,
        count(*) as file_count,
        {{ dbt.listagg('source_file', "', '", limit_num=10) }} as first_files
    from rejected_files
    group by source_name

),

problems as (

    select
        'no valid ' || logs_without_valid_rows.row_name || ' row remains: '
        || cast(coalesce(reasons_per_log.rejected_rows, 0) as {{ dbt.type_string() }})
        || ' rows rejected'
        || coalesce(
            ' (' || reasons_per_log.reasons || ') in files ' || files_per_log.first_files
            || case when files_per_log.file_count > 10 then ', ...' else '' end,
            ''
        ) as problem
    from logs_without_valid_rows
    left join reasons_per_log
        on logs_without_valid_rows.source_name = reasons_per_log.source_name
    left join files_per_log
        on logs_without_valid_rows.source_name = files_per_log.source_name

),

{# Both logs in one message. -#}
all_problems as (

    select
        {{ dbt.listagg('problem', "'; '") }} as problems
    from problems
    having count(*) > 0

)

{#- In the filter, so that it is evaluated: dbt only counts a test's rows. #}
select problems
from all_problems
where {{ sql_error('problems') }} is null
