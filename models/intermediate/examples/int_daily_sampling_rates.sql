{#- Per task and day: how many examples, positives and negatives, and the
    rate at which each class is kept. One pass over the labeled examples,
    then a small unpivot (days x tasks rows). Incremental by day. -#}
{{ daily_incremental('event_date') }}
{%- set tasks = get_tasks() -%}

with

examples as (

    select * from {{ ref('int_examples_labeled') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date') }}
    {%- endif %}

),

counts_per_day as (

    select
        event_date,
        {% for task in tasks -%}
            cast(sum(label_{{ task.name }}) as bigint) as positives_{{ task.name }},
        {% endfor -%}
        count(*) as examples
    from examples
    group by event_date

),

counts_per_task_and_day as (

    {% for task in tasks -%}
        select
            '{{ task.name }}' as task,
            {{ task.position }} as task_position,
            examples,
            positives_{{ task.name }} as positives,
            examples - positives_{{ task.name }} as negatives,
            event_date
        from counts_per_day
        {{- '\n        union all' if not loop.last }}
    {% endfor %}

),

rates as (

    select
        task,
        task_position,
        examples,
        positives,
        negatives,
        {{ class_sampling_rates('positives', 'negatives') }},
        event_date
    from counts_per_task_and_day

)

select * from rates
