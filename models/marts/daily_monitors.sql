{#- Per day and monitored quantity: its value, and the range the same
    weekday of the previous weeks expects. The quantities: the clean
    impressions and the clean engagements of each action on every complete
    day (both logs reach its last hour), the examples of each complete day,
    and each task's positive rate on every mature day (its labels are final).
    The range: median +- monitor_threshold x spread of the same weekday of
    the previous monitor_weeks weeks, where the spread is the larger of
    1.4826 x their median absolute deviation and the counting noise (the
    square root of the expected count; for a rate, of the expected
    positives, over the day's examples). Fewer than 3 such days: no range.
    A table rebuilt whole (a row per day and quantity). -#}
{%- set settings = monitor_settings() %}
{%- set actions = get_actions() %}

with

watermark as (

    select
        watermark_ts,
        last_mature_date
    from {{ ref('int_log_watermark') }}

),

volumes as (

    select * from {{ ref('int_log_daily_volumes') }}

),

rates as (

    select * from {{ ref('int_daily_sampling_rates') }}

),

{# Days the logs reach the last hour of. -#}
complete_days as (

    select distinct volumes.activity_date as monitored_date
    from volumes
    cross join watermark
    where
        {{ add_seconds('cast(volumes.activity_date as ' ~ dbt.type_timestamp() ~ ')', 82800) }}
        <= watermark.watermark_ts

),

event_types as (

    select
        'impressions' as metric,
        'impression' as event_type
    {%- for action in actions %}
        union all
        select
            'engagements' as metric,
            '{{ action }}' as event_type
    {%- endfor %}

),

{# Every event type on every complete day, 0 when none came. -#}
event_counts as (

    select
        event_types.metric,
        event_types.event_type as subject,
        cast(coalesce(sum(volumes.events), 0) as double) as monitored_value,
        cast(null as double) as trials,
        complete_days.monitored_date
    from complete_days
    cross join event_types
    left join volumes
        on
            complete_days.monitored_date = volumes.activity_date
            and event_types.event_type = volumes.event_type
    group by event_types.metric, event_types.event_type, complete_days.monitored_date

),

example_counts as (

    select
        'examples' as metric,
        'examples' as subject,
        cast(rates.examples as double) as monitored_value,
        cast(null as double) as trials,
        rates.event_date as monitored_date
    from rates
    inner join complete_days
        on rates.event_date = complete_days.monitored_date
    where rates.task_position = 0

),

positive_rates as (

    select
        'positive_rate' as metric,
        rates.task as subject,
        cast(rates.positives as double) / rates.examples as monitored_value,
        cast(rates.examples as double) as trials,
        rates.event_date as monitored_date
    from rates
    cross join watermark
    where rates.event_date <= watermark.last_mature_date

),

monitored as (

    select * from event_counts
    union all
    select * from example_counts
    union all
    select * from positive_rates

),

{# The same weekday of each of the previous weeks. -#}
reference_values as (

    select
        monitored.metric,
        monitored.subject,
        monitored.monitored_date,
        earlier.monitored_value as reference_value
    from monitored
    inner join monitored as earlier
        on
            monitored.metric = earlier.metric
            and monitored.subject = earlier.subject
            and earlier.monitored_date in (
                {%- for week in range(1, settings.weeks + 1) %}
                    {{ add_days('monitored.monitored_date', -7 * week) }}
                    {{- ',' if not loop.last }}
                {%- endfor %}
            )

),

reference_medians as (

    select
        metric,
        subject,
        monitored_date,
        median(reference_value) as reference_median,
        count(*) as reference_days
    from reference_values
    group by metric, subject, monitored_date

),

reference_spreads as (

    select
        reference_values.metric,
        reference_values.subject,
        reference_values.monitored_date,
        median(abs(reference_values.reference_value - reference_medians.reference_median))
            as reference_mad
    from reference_values
    inner join reference_medians
        on
            reference_values.metric = reference_medians.metric
            and reference_values.subject = reference_medians.subject
            and reference_values.monitored_date = reference_medians.monitored_date
    group by reference_values.metric, reference_values.subject, reference_values.monitored_date

),

ranges as (

    select
        monitored.metric,
        monitored.subject,
        monitored.monitored_value,
        reference_medians.reference_median,
        cast(coalesce(reference_medians.reference_days, 0) as bigint) as reference_days,
        {{ settings.threshold }} * greatest(
            1.4826 * reference_spreads.reference_mad,
            case
                when monitored.trials is null
                    then sqrt(greatest(reference_medians.reference_median, 1.0))
                else
                    sqrt(greatest(reference_medians.reference_median * monitored.trials, 1.0))
                    / monitored.trials
            end
        ) as allowed_deviation,
        monitored.monitored_date
    from monitored
    left join reference_medians
        on
            monitored.metric = reference_medians.metric
            and monitored.subject = reference_medians.subject
            and monitored.monitored_date = reference_medians.monitored_date
    left join reference_spreads
        on
            monitored.metric = reference_spreads.metric
            and monitored.subject = reference_spreads.subject
            and monitored.monitored_date = reference_spreads.monitored_date

),

daily_monitors as (

    select
        metric,
        subject,
        monitored_value,
        reference_days,
        case
            when reference_days >= {{ settings.min_reference_days }}
                then reference_median - allowed_deviation
        end as expected_low,
        case
            when reference_days >= {{ settings.min_reference_days }}
                then reference_median + allowed_deviation
        end as expected_high,
        coalesce(
            reference_days >= {{ settings.min_reference_days }}
            and (
                monitored_value < reference_median - allowed_deviation
                or monitored_value > reference_median + allowed_deviation
            ),
            false
        ) as is_outside_range,
        monitored_date
    from ranges

)

select * from daily_monitors
