{#- Per task and day: the rows the downsampling kept of each class and the
    sums of their weights. Incremental by day, so that the daily stats never
    scan the sampled history.

    The sums are exact and do not depend on the order rows are added in.
    Without per_user_daily_cap every row of a class, task and day has the
    same weight: count times weight. Under the cap a row's weight is
    max(m, cap) / (cap * rate), m its user's rows drawn for the task and day
    and rate its class's: the integers max(m, cap) (recovered by rounding
    sample_weight * rate * cap) are summed, then divided by cap and rate. -#}
{{ daily_incremental('event_date') }}
{%- set user_cap = per_user_daily_cap() %}

with

sampled_examples as (

    select
        task,
        label,
        sample_weight,
        event_date
    from {{ ref('int_examples_sampled') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date') }}
    {%- endif %}

),

{% if user_cap is none %}
    kept_counts as (

        select
            task,
            cast(sum(label) as bigint) as kept_positives,
            cast(sum(1 - label) as bigint) as kept_negatives,
            coalesce(sum(label) * max(case when label = 1 then sample_weight end), 0.0)
                as weighted_positives,
            coalesce(sum(1 - label) * max(case when label = 0 then sample_weight end), 0.0)
                as weighted_negatives,
            event_date
        from sampled_examples
        group by task, event_date

    )
{% else %}
    rates as (

        select
            task,
            positive_sampling_rate,
            negative_sampling_rate,
            event_date
        from {{ ref('int_daily_sampling_rates') }}
        {% if is_incremental() -%}
            where {{ in_refresh_window('event_date') }}
        {%- endif %}

    ),

    {# Per row: max(m, cap), an integer, and its class's rate. -#}
    sampled_with_class_rates as (

        select
            sampled_examples.task,
            sampled_examples.label,
            cast(round(
                sampled_examples.sample_weight
                * case
                    when sampled_examples.label = 1 then rates.positive_sampling_rate
                    else rates.negative_sampling_rate
                end
                * {{ user_cap }}
            ) as bigint) as user_scale,
            rates.positive_sampling_rate,
            rates.negative_sampling_rate,
            sampled_examples.event_date
        from sampled_examples
        inner join rates
            on
                sampled_examples.task = rates.task
                and sampled_examples.event_date = rates.event_date

    ),

    kept_counts as (

        select
            task,
            cast(sum(label) as bigint) as kept_positives,
            cast(sum(1 - label) as bigint) as kept_negatives,
            case
                when sum(label) = 0 then 0.0
                else cast(sum(label * user_scale) as double) / {{ user_cap }}
                    / max(positive_sampling_rate)
            end as weighted_positives,
            case
                when sum(1 - label) = 0 then 0.0
                else cast(sum((1 - label) * user_scale) as double) / {{ user_cap }}
                    / max(negative_sampling_rate)
            end as weighted_negatives,
            event_date
        from sampled_with_class_rates
        group by task, event_date

    )
{% endif %}

select * from kept_counts
