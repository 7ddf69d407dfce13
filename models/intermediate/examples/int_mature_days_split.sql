{#- One row per mature day with the split it belongs to (null for a day in a
    gap between splits or after an explicit test end). -#}
{#- One row per day, rebuilt by every run (a split moves as days mature):
    the exception in its folder. -#}
{{ config(materialized='table') }}

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
        {{ split_boundaries('last_mature_date') }}
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
