{#- Per task and day: the rows the downsampling kept of each class and the
    sums of their weights. Incremental by day, so that the daily stats never
    scan the sampled history. -#}
{{ daily_incremental('event_date') }}

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

kept_counts as (

    select
        task,
        cast(sum(label) as bigint) as kept_positives,
        cast(sum(1 - label) as bigint) as kept_negatives,
        {# Every row of a class, task and day has the same weight: count times
           weight is exact, where a floating-point sum would depend on the
           order the threads add in. -#}
        coalesce(sum(label) * max(case when label = 1 then sample_weight end), 0.0)
            as weighted_positives,
        coalesce(sum(1 - label) * max(case when label = 0 then sample_weight end), 0.0)
            as weighted_negatives,
        event_date
    from sampled_examples
    group by task, event_date

)

select * from kept_counts
