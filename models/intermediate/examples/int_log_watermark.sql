{#- One row: how far both logs reach, and so the last day whose label window
    has closed. A log reaches its latest clean event on a day that holds at
    least reach_min_day_share of the log's busiest day: a few rows from a
    clock far ahead make a small day of their own and cannot carry the reach
    (they are counted here as outlying, and named by a warning test). The
    watermark is the earlier of the two reaches; a day D is mature when
    D + 1 day + label window <= watermark (every day up to the impressions'
    reach with `closed_collection`). Read from the daily volumes of the whole
    history, so a refresh and a full build agree. -#}
{#- One row, rebuilt by every run: the exception in its folder. -#}
{{ config(materialized='table') }}
{%- set share = reach_min_day_share() %}

with

log_days as (

    select
        log_name,
        sum(events) as events,
        max(last_event_ts) as last_event_ts,
        activity_date
    from {{ ref('int_log_daily_volumes') }}
    group by log_name, activity_date

),

busiest_days as (

    select
        log_name,
        max(events) as busiest_day_events
    from log_days
    group by log_name

),

log_days_rated as (

    select
        log_days.log_name,
        log_days.events,
        log_days.last_event_ts,
        log_days.events >= {{ share }} * busiest_days.busiest_day_events as carries_reach,
        log_days.activity_date
    from log_days
    inner join busiest_days
        on log_days.log_name = busiest_days.log_name

),

{# One row even when both logs are empty (an aggregate without a group). -#}
reach as (

    select
        max(case when log_name = 'impressions' and carries_reach then last_event_ts end)
            as impressions_max_ts,
        max(case when log_name = 'engagements' and carries_reach then last_event_ts end)
            as engagements_max_ts
    from log_days_rated

),

{# Events on the small days after a log's reach: they did not move it. -#}
outlying as (

    select
        coalesce(sum(case
            when
                log_days_rated.log_name = 'impressions'
                and log_days_rated.activity_date > cast(reach.impressions_max_ts as date)
                then log_days_rated.events
        end), 0) as impressions_outlying_events,
        coalesce(sum(case
            when
                log_days_rated.log_name = 'engagements'
                and log_days_rated.activity_date > cast(reach.engagements_max_ts as date)
                then log_days_rated.events
        end), 0) as engagements_outlying_events
    from log_days_rated
    cross join reach

),

watermark as (

    select
        reach.impressions_max_ts,
        reach.engagements_max_ts,
        {# Null when either log is empty: nothing is known to be complete. -#}
        case
            when reach.impressions_max_ts is not null and reach.engagements_max_ts is not null
                then least(reach.impressions_max_ts, reach.engagements_max_ts)
        end as watermark_ts,
        outlying.impressions_outlying_events,
        outlying.engagements_outlying_events
    from reach
    cross join outlying

),

last_mature_day as (

    select
        impressions_max_ts,
        engagements_max_ts,
        watermark_ts,
        {% if closed_collection() -%}
            {#- A finished collection: every day with impressions is mature. #}
            cast(impressions_max_ts as date) as last_mature_date,
        {%- else -%}
            cast(
                {{ add_seconds('watermark_ts', -(86400 + label_window_seconds())) }} as date
            ) as last_mature_date,
        {%- endif %}
        cast(impressions_outlying_events as bigint) as impressions_outlying_events,
        cast(engagements_outlying_events as bigint) as engagements_outlying_events
    from watermark

)

select * from last_mature_day
