{#- Per mature day and task: the label counts before sampling, the rows
    kept, and the rates, with the split the day belongs to. -#}
with

rates as (

    select * from {{ ref('int_daily_sampling_rates') }}

),

split_days as (

    select
        split,
        event_date
    from {{ ref('int_mature_days_split') }}

),

kept_counts as (

    select * from {{ ref('int_daily_kept_counts') }}

),

daily_label_stats as (

    select
        rates.task,
        split_days.split,
        rates.examples,
        rates.positives,
        rates.negatives,
        coalesce(kept_counts.kept_positives, 0) as kept_positives,
        coalesce(kept_counts.kept_negatives, 0) as kept_negatives,
        cast(rates.positives as double) / rates.examples as positive_rate,
        rates.positive_sampling_rate,
        rates.negative_sampling_rate,
        coalesce(kept_counts.weighted_positives, 0.0) as weighted_positives,
        coalesce(kept_counts.weighted_negatives, 0.0) as weighted_negatives,
        rates.event_date
    from rates
    inner join split_days
        on rates.event_date = split_days.event_date
    left join kept_counts
        on
            rates.task = kept_counts.task
            and rates.event_date = kept_counts.event_date

)

select * from daily_label_stats
