{#- Per task and day: how many examples, positives and negatives, and the
    rate at which each class is kept: balanced (every positive up to the
    daily_cap share, negatives_per_positive negatives per positive) or, with
    sampling_mode fixed_rates, the task's configured rates on every day. One
    pass over the labeled examples, then a small unpivot (days x tasks rows).
    Incremental by day. -#}
{{ daily_incremental('event_date') }}
{%- set tasks = get_tasks() -%}
{%- set sampling = sampling_settings() -%}
{%- set ratio = sampling.negatives_per_positive -%}
{#- The positives to keep: all of them, or under daily_cap P_target, so that
    P_target plus its negatives fit the cap. -#}
{%- if sampling.daily_cap is none -%}
    {%- set target = 'cast(positives as double)' -%}
{%- else -%}
    {%- set target = 'least(cast(positives as double), cast(' ~ sampling.daily_cap
        ~ ' as double) / cast(' ~ (1 + ratio) ~ ' as double))' -%}
{%- endif -%}

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
        {% if sampling.mode == 'fixed_rates' -%}
            case task
                {% for task in tasks -%}
                    when '{{ task.name }}'
                        then cast({{ sampling.fixed_rates[task.name].positive }} as double)
                {% endfor -%}
            end as positive_sampling_rate,
            case task
                {% for task in tasks -%}
                    when '{{ task.name }}'
                        then cast({{ sampling.fixed_rates[task.name].negative }} as double)
                {% endfor -%}
            end as negative_sampling_rate,
        {% else -%}
            case
                when positives = 0 then 1.0
                else {{ target }} / positives
            end as positive_sampling_rate,
            case
                when negatives = 0 or positives = 0 then 0.0
                else least(1.0, (cast({{ ratio }} as double) * {{ target }}) / negatives)
            end as negative_sampling_rate,
        {% endif -%}
        event_date
    from counts_per_task_and_day

)

select * from rates
