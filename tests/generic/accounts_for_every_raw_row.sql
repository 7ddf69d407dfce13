{% test accounts_for_every_raw_row(model, source_name) %}
{#- Every raw row this run processed is a clean row, a removed duplicate or
    a rejected row, counted without reading the raw files again. Three
    identities, each failing row naming the file:
    - each file new to the run holds as many rows as the run read from it
      (its Parquet footer's count, or a load batch's, in the plan), so the
      reader lost none;
    - per file and UTC day, the rows read that are invalid or too late are
      the rejected rows filed for that file and day;
    - per UTC day, the valid rows read are the clean rows plus the removed
      duplicates (a day that does not add up names every file with valid
      rows that day).
    The rows processed are those of the days whose clean rows the run
    rebuilds, and every row of a file new to the run (too late or without a
    day); on a full build, every row. -#}
{%- set base = {
    'impressions': ref('base_feed__impressions'),
    'engagements': ref('base_feed__engagements'),
}[source_name] -%}
{%- set clean = {
    'impressions': ref('stg_feed__impressions'),
    'engagements': ref('stg_feed__engagements'),
}[source_name] -%}
{%- set clean_date = {'impressions': 'impression_date', 'engagements': 'engagement_date'}[source_name] -%}
{%- set rows_processed -%}
    ({{ in_rows_window('row_date') }}
        or ((row_date is null or row_date < {{ rows_window_start() }})
            and {{ is_new_raw_file(source_name) }}))
{%- endset %}

with

rows_read_per_file as (

    select
        source_file,
        count(*) as rows_read
    from {{ base }}
    group by source_file

),

footer_mismatches as (

    select
        planned.source_file,
        cast(null as date) as row_date,
        planned.raw_rows - coalesce(rows_read_per_file.rows_read, 0) as unaccounted_rows,
        'rows in the file, not read' as problem
    from {{ ref('refresh_plan') }} as planned
    left join rows_read_per_file
        on planned.source_file = rows_read_per_file.source_file
    where
        planned.source_name = '{{ source_name }}'
        and planned.is_new
        and planned.is_read
        and planned.raw_rows != coalesce(rows_read_per_file.rows_read, 0)

),

rejections_expected as (

    select
        source_file,
        row_date,
        count(*) as rejected_rows
    from {{ base }}
    where
        {{ rows_processed }}
        and (reject_reason is not null or row_date < {{ rows_window_start() }})
    group by source_file, row_date

),

rejections_filed as (

    select
        source_file,
        row_date,
        count(*) as rejected_rows
    from {{ ref('stg_feed__rejected_rows') }}
    where
        source_name = '{{ source_name }}'
        {#- Only the files this run read can hold the rows checked. #}
        and source_file in (
            select source_file from {{ ref('refresh_plan') }}
            where source_name = '{{ source_name }}' and is_read
        )
        and {{ rows_processed }}
    group by source_file, row_date

),

rejection_mismatches as (

    select
        coalesce(rejections_expected.source_file, rejections_filed.source_file) as source_file,
        coalesce(rejections_expected.row_date, rejections_filed.row_date) as row_date,
        coalesce(rejections_expected.rejected_rows, 0)
        - coalesce(rejections_filed.rejected_rows, 0) as unaccounted_rows,
        'invalid or too late, not in the rejected rows' as problem
    from rejections_expected
    full outer join rejections_filed
        on
            rejections_expected.source_file = rejections_filed.source_file
            and (
                rejections_expected.row_date = rejections_filed.row_date
                or (rejections_expected.row_date is null and rejections_filed.row_date is null)
            )
    where
        coalesce(rejections_expected.rejected_rows, 0)
        != coalesce(rejections_filed.rejected_rows, 0)

),

valid_rows_per_file as (

    select
        source_file,
        row_date,
        count(*) as valid_rows
    from {{ base }}
    where
        reject_reason is null
        and {{ in_rows_window('row_date') }}
    group by source_file, row_date

),

clean_per_day as (

    select
        {{ clean_date }} as row_date,
        count(*) + sum(duplicates_removed) as clean_and_duplicates
    from {{ clean }}
    where {{ in_rows_window(clean_date) }}
    group by {{ clean_date }}

),

valid_per_day as (

    select
        row_date,
        sum(valid_rows) as valid_rows
    from valid_rows_per_file
    group by row_date

),

days_not_adding_up as (

    select
        coalesce(valid_per_day.row_date, clean_per_day.row_date) as row_date,
        coalesce(valid_per_day.valid_rows, 0)
        - coalesce(clean_per_day.clean_and_duplicates, 0) as unaccounted_rows
    from valid_per_day
    full outer join clean_per_day
        on valid_per_day.row_date = clean_per_day.row_date
    where
        coalesce(valid_per_day.valid_rows, 0)
        != coalesce(clean_per_day.clean_and_duplicates, 0)

),

clean_mismatches as (

    select
        valid_rows_per_file.source_file,
        days_not_adding_up.row_date,
        days_not_adding_up.unaccounted_rows,
        'valid, not a clean row nor a removed duplicate of the day' as problem
    from days_not_adding_up
    left join valid_rows_per_file
        on days_not_adding_up.row_date = valid_rows_per_file.row_date

)

select * from footer_mismatches
union all
select * from rejection_mismatches
union all
select * from clean_mismatches

{% endtest %}
