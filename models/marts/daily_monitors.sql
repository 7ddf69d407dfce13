{#- Per day and monitored quantity: its value, and the range its baseline
    expects. The quantities: the clean impressions and the clean engagements
    of each action on every complete day (both logs reach its last hour), the
    examples of each complete day, and each task's positive rate on every
    mature day (its labels are final).
    The baseline: the same weekday of the previous monitor_weeks weeks once
    at least 3 of them have a value (same_weekday); before that, the previous
    monitor_recent_days days whatever the weekday once at least 7 of them
    have a value (previous_days); else none, and no range.
    The range: from the median of the baseline's n days to, for
    previous_days, the value of the same weekday a week before (the median
    of the previous days does not know the weekly cycle: a Saturday after
    five weekdays), widened by monitor_threshold x spread on each side. The
    spread is the larger of 1.4826 x the median absolute deviation x its
    small-sample correction (on n normal days 1.4826 x MAD is too low on
    average by 1.495 on 3 days, 1.363 on 4, ..., about n / (n - 0.8) from 10:
    Croux and Rousseeuw) and the counting noise (the square root of the
    expected count; for a rate, of the expected positives, over the day's
    examples), times sqrt(1 + pi / (2n)) (the error of the median of n days
    adds to the day's own). A table rebuilt whole (a row per day and
    quantity). -#}
{%- set settings = monitor_settings() %}
{%- set actions = get_actions() %}
{#- 1 / mean(1.4826 x MAD) of n standard normal draws, for n below 10. -#}
{%- set mad_small_sample_factors = {
    3: 1.495, 4: 1.363, 5: 1.206, 6: 1.200, 7: 1.140, 8: 1.129, 9: 1.107} %}

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

{# Both baselines' days: the same weekday of each of the previous weeks, and
   the previous days. -#}
reference_values as (

    select
        monitored.metric,
        monitored.subject,
        'same_weekday' as baseline,
        earlier.monitored_value as reference_value,
        monitored.monitored_date
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
    union all
    select
        monitored.metric,
        monitored.subject,
        'previous_days' as baseline,
        earlier.monitored_value as reference_value,
        monitored.monitored_date
    from monitored
    inner join monitored as earlier
        on
            monitored.metric = earlier.metric
            and monitored.subject = earlier.subject
            and monitored.monitored_date > earlier.monitored_date
            and {{ add_days('monitored.monitored_date', -settings.recent_days) }}
            <= earlier.monitored_date

),

{# The same weekday once it has enough weeks, else the previous days. -#}
baselines_chosen as (

    select
        metric,
        subject,
        case
            when
                sum(case when baseline = 'same_weekday' then 1 else 0 end)
                >= {{ settings.min_reference_days }}
                then 'same_weekday'
            when
                sum(case when baseline = 'previous_days' then 1 else 0 end)
                >= {{ settings.min_recent_days }}
                then 'previous_days'
        end as baseline,
        monitored_date
    from reference_values
    group by metric, subject, monitored_date

),

baseline_values as (

    select reference_values.*
    from reference_values
    inner join baselines_chosen
        on
            reference_values.metric = baselines_chosen.metric
            and reference_values.subject = baselines_chosen.subject
            and reference_values.monitored_date = baselines_chosen.monitored_date
            and reference_values.baseline = baselines_chosen.baseline

),

reference_medians as (

    select
        metric,
        subject,
        baseline,
        median(reference_value) as reference_median,
        count(*) as reference_days,
        monitored_date
    from baseline_values
    group by metric, subject, baseline, monitored_date

),

reference_spreads as (

    select
        baseline_values.metric,
        baseline_values.subject,
        median(abs(baseline_values.reference_value - reference_medians.reference_median))
            as reference_mad,
        baseline_values.monitored_date
    from baseline_values
    inner join reference_medians
        on
            baseline_values.metric = reference_medians.metric
            and baseline_values.subject = reference_medians.subject
            and baseline_values.monitored_date = reference_medians.monitored_date
    group by baseline_values.metric, baseline_values.subject, baseline_values.monitored_date

),

ranges as (

    select
        monitored.metric,
        monitored.subject,
        coalesce(reference_medians.baseline, 'none') as baseline,
        monitored.monitored_value,
        case
            when reference_medians.baseline = 'previous_days'
                then least(
                    reference_medians.reference_median,
                    coalesce(week_before.monitored_value, reference_medians.reference_median)
                )
            else reference_medians.reference_median
        end as reference_low,
        case
            when reference_medians.baseline = 'previous_days'
                then greatest(
                    reference_medians.reference_median,
                    coalesce(week_before.monitored_value, reference_medians.reference_median)
                )
            else reference_medians.reference_median
        end as reference_high,
        cast(coalesce(reference_medians.reference_days, 0) as bigint) as reference_days,
        {{ settings.threshold }}
        * sqrt(1 + pi() / (2 * reference_medians.reference_days))
        * greatest(
            1.4826 * reference_spreads.reference_mad * case reference_medians.reference_days
                {%- for days, factor in mad_small_sample_factors.items() %}
                    when {{ days }} then {{ factor }}
                {%- endfor %}
                else reference_medians.reference_days / (reference_medians.reference_days - 0.8)
            end,
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
    left join monitored as week_before
        on
            monitored.metric = week_before.metric
            and monitored.subject = week_before.subject
            and week_before.monitored_date = {{ add_days('monitored.monitored_date', -7) }}

),

daily_monitors as (

    select
        metric,
        subject,
        baseline,
        monitored_value,
        reference_days,
        reference_low - allowed_deviation as expected_low,
        reference_high + allowed_deviation as expected_high,
        coalesce(
            monitored_value < reference_low - allowed_deviation
            or monitored_value > reference_high + allowed_deviation,
            false
        ) as is_outside_range,
        monitored_date
    from ranges

)

select * from daily_monitors
