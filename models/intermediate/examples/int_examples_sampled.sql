{#- One row per example kept for a task, with its label and when it came,
    the rate its class
    was kept at and the weight that undoes the downsampling. All days, mature
    or not: the marts keep the mature ones. Incremental by day.

    Each task's draw is a uniform number from 24 bits of the example's md5
    digest, which int_examples_labeled holds; the keep decision is taken on
    the wide rows, and only kept examples are widened to one row per task.

    With per_user_daily_cap, of a user's m rows drawn for a task on a day the
    cap rows with the smallest draw / rate (uniform once drawn, whatever the
    class; ties by tweet_id) are kept, at rate * min(1, cap / m). -#}
{{ daily_incremental('event_date') }}
{%- set tasks = get_tasks() %}
{%- set context = impression_context_columns() %}
{%- set user_cap = per_user_daily_cap() %}
{%- set kept_for_some_task = [] %}
{%- for task in tasks %}
    {%- do kept_for_some_task.append('draw_' ~ task.name ~ ' < rate_' ~ task.name) %}
{%- endfor %}

with

examples as (

    select
        user_id,
        tweet_id,
        {% for task in tasks -%}
            label_{{ task.name }},
            engaged_ts_{{ task.name }},
            label_delay_seconds_{{ task.name }},
        {% endfor -%}
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        {% for task in tasks -%}
            draw_bits_{{ task.name }},
        {% endfor -%}
        event_date,
        example_ts
    from {{ ref('int_examples_labeled') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date') }}
    {%- endif %}

),

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

{# One row per day with each task's two rates side by side. -#}
rates_by_day as (

    select
        {% for task in tasks -%}
            max(case when task = '{{ task.name }}' then positive_sampling_rate end)
                as positive_sampling_rate_{{ task.name }},
            max(case when task = '{{ task.name }}' then negative_sampling_rate end)
                as negative_sampling_rate_{{ task.name }},
        {% endfor -%}
        event_date
    from rates
    group by event_date

),

examples_with_rates as (

    select
        examples.user_id,
        examples.tweet_id,
        examples.event_date,
        {% for task in tasks -%}
            examples.label_{{ task.name }},
            examples.engaged_ts_{{ task.name }},
            examples.label_delay_seconds_{{ task.name }},
            case
                when examples.label_{{ task.name }} = 1
                    then rates_by_day.positive_sampling_rate_{{ task.name }}
                else rates_by_day.negative_sampling_rate_{{ task.name }}
            end as rate_{{ task.name }},
            {#- In double: a decimal literal would make Spark divide in decimals. #}
            cast(examples.draw_bits_{{ task.name }} as double) / cast(16777216 as double)
                as draw_{{ task.name }},
        {% endfor -%}
        {% for column in context -%}
            examples.{{ column.name }},
        {% endfor -%}
        examples.example_ts
    from examples
    inner join rates_by_day
        on examples.event_date = rates_by_day.event_date

),

{# Only examples kept for at least one task are widened below. -#}
examples_kept_for_some_task as (

    select *
    from examples_with_rates
    where
        {{ kept_for_some_task | join('\n        or ') }}

),

task_names as (

    {% for task in tasks -%}
        select '{{ task.name }}' as task
        {{- '\n    union all' if not loop.last }}
    {% endfor %}

),

examples_widened_to_tasks as (

    select
        task_names.task,
        examples_kept_for_some_task.user_id,
        examples_kept_for_some_task.tweet_id,
        case task_names.task
            {% for task in tasks -%}
                when '{{ task.name }}' then examples_kept_for_some_task.label_{{ task.name }}
            {% endfor -%}
        end as label,
        case task_names.task
            {% for task in tasks -%}
                when '{{ task.name }}' then examples_kept_for_some_task.rate_{{ task.name }}
            {% endfor -%}
        end as sampling_rate,
        case task_names.task
            {% for task in tasks -%}
                when '{{ task.name }}' then examples_kept_for_some_task.draw_{{ task.name }}
            {% endfor -%}
        end as draw,
        case task_names.task
            {% for task in tasks -%}
                when '{{ task.name }}' then examples_kept_for_some_task.engaged_ts_{{ task.name }}
            {% endfor -%}
        end as engaged_ts,
        case task_names.task
            {% for task in tasks -%}
                when '{{ task.name }}'
                    then examples_kept_for_some_task.label_delay_seconds_{{ task.name }}
            {% endfor -%}
        end as label_delay_seconds,
        {% for column in context -%}
            examples_kept_for_some_task.{{ column.name }},
        {% endfor -%}
        examples_kept_for_some_task.event_date,
        examples_kept_for_some_task.example_ts
    from examples_kept_for_some_task
    cross join task_names

),

{% if user_cap is none %}
    examples_kept as (

        select
            task,
            user_id,
            tweet_id,
            cast(label as integer) as label,
            sampling_rate,
            1.0 / sampling_rate as sample_weight,
            engaged_ts,
            label_delay_seconds,
            {% for column in context -%}
                {{ column.name }},
            {% endfor -%}
            event_date,
            example_ts
        from examples_widened_to_tasks
        where draw < sampling_rate

    )
{% else %}
    {# The draw, then per user, task and day: the rows it kept (m) and each
       row's rank by its normalised draw. -#}
    examples_drawn_per_user as (

        select
            examples_widened_to_tasks.*,
            row_number() over (
                partition by task, user_id, event_date
                order by draw / sampling_rate, tweet_id
            ) as user_rank,
            count(*) over (partition by task, user_id, event_date) as user_drawn
        from examples_widened_to_tasks
        where draw < sampling_rate

    ),

    examples_capped as (

        select
            *,
            case
                when user_drawn > {{ user_cap }}
                    then sampling_rate * (cast({{ user_cap }} as double) / user_drawn)
                else sampling_rate
            end as capped_sampling_rate
        from examples_drawn_per_user
        where user_rank <= {{ user_cap }}

    ),

    examples_kept as (

        select
            task,
            user_id,
            tweet_id,
            cast(label as integer) as label,
            capped_sampling_rate as sampling_rate,
            1.0 / capped_sampling_rate as sample_weight,
            engaged_ts,
            label_delay_seconds,
            {% for column in context -%}
                {{ column.name }},
            {% endfor -%}
            event_date,
            example_ts
        from examples_capped

    )
{% endif %}

select * from examples_kept
