{#- One row per mature day with the split it belongs to (null for a day in a
    gap between splits or after an explicit test end). -#}
{#- One row per day, rebuilt by every run (a split moves as days mature):
    the exception in its folder. -#}
{{ config(materialized='table') }}
{#- Relative split by default (the last test_days mature days are test, the
    validation_days before them, after a gap, validation, the rest train);
    explicit when validation_start_date and test_start_date are set. -#}
{%- set split = split_settings() %}
{%- if split.validation_start is none %}
    {%- set test_start = add_days('last_mature_date', 1 - split.test_days) %}
    {%- set validation_start = add_days(
        'last_mature_date', 1 - split.test_days - split.gap - split.validation_days) %}
    {%- set test_end = 'last_mature_date' %}
{%- else %}
    {%- set test_start = "cast('" ~ split.test_start ~ "' as date)" %}
    {%- set validation_start = "cast('" ~ split.validation_start ~ "' as date)" %}
    {%- set test_end = "cast('" ~ split.test_end ~ "' as date)"
        if split.test_end else 'last_mature_date' %}
{%- endif %}

with

days as (

    select distinct event_date
    from {{ ref('int_daily_sampling_rates') }}

),

watermark as (

    select last_mature_date
    from {{ ref('int_log_watermark') }}

),

mature_days as (

    select days.event_date
    from days
    inner join watermark
        on days.event_date <= watermark.last_mature_date

),

last_mature_day as (

    select max(event_date) as last_mature_date
    from mature_days

),

boundaries as (

    select
        cast({{ add_days(validation_start, -1 - split.gap) }} as date) as train_end_date,
        cast({{ validation_start }} as date) as validation_start_date,
        cast({{ add_days(test_start, -1 - split.gap) }} as date) as validation_end_date,
        cast({{ test_start }} as date) as test_start_date,
        cast({{ test_end }} as date) as test_end_date
    from last_mature_day

),

mature_days_split as (

    select
        case
            when mature_days.event_date <= boundaries.train_end_date then 'train'
            when
                mature_days.event_date between boundaries.validation_start_date
                and boundaries.validation_end_date
                then 'validation'
            when
                mature_days.event_date between boundaries.test_start_date
                and boundaries.test_end_date
                then 'test'
        end as split,
        mature_days.event_date
    from mature_days
    cross join boundaries

)

select * from mature_days_split
