{% test kept_counts_within_binomial_tolerance(model, sigmas=5) %}
{#- Class balance: per task and day, the kept positives and kept negatives
    are each a binomial draw of the class count at the class's rate, so they
    lie within `sigmas` standard deviations (plus one row for rounding) of
    count * rate. With the defaults, kept negatives ~ kept positives.
    Under per_user_daily_cap, which only removes drawn rows, the kept rows
    are checked from above only. Returns the (task, day, class) rows outside
    the tolerance. -#}
{%- set capped = per_user_daily_cap() is not none %}
with

classes as (

    select
        task,
        event_date,
        'positive' as label_class,
        positives as class_rows,
        positive_sampling_rate as sampling_rate,
        kept_positives as kept_rows
    from {{ model }}
    union all
    select
        task,
        event_date,
        'negative' as label_class,
        negatives as class_rows,
        negative_sampling_rate as sampling_rate,
        kept_negatives as kept_rows
    from {{ model }}

),

classes_checked as (

    select
        *,
        class_rows * sampling_rate as expected_rows,
        sqrt(class_rows * sampling_rate * (1 - sampling_rate)) as standard_deviation
    from classes

)

select *
from classes_checked
where
    {% if capped -%}
        kept_rows - expected_rows > {{ sigmas }} * standard_deviation + 1
    {%- else -%}
        abs(kept_rows - expected_rows) > {{ sigmas }} * standard_deviation + 1
    {%- endif %}
{% endtest %}
