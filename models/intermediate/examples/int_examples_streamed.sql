{#- One row per example and task the continuous-training stream draws: the
    same md5 draw as the sample (the bits int_examples_labeled keeps), at
    the one rate stream_sampling_rate for every example, so the draw is
    taken at the impression, before the label is known, and never changes.
    Incremental by day, from the new rows' days alone. -#}
{{ daily_incremental('event_date', rebuilds='rows') }}
{%- set tasks = get_tasks() %}
{%- set rate = stream_sampling_rate() %}
{%- set drawn_for_some_task = [] %}
{%- for task in tasks %}
    {%- do drawn_for_some_task.append('draw_' ~ task.name ~ ' < ' ~ rate) %}
{%- endfor %}

with

examples as (

    select
        user_id,
        tweet_id,
        {% for task in tasks -%}
            draw_bits_{{ task.name }},
        {% endfor -%}
        event_date,
        example_ts
    from {{ ref('int_examples_labeled') }}
    where
        {% if rate == 0 -%}
            {#- No stream: nothing read. #}
            false
        {%- elif is_incremental() -%}
            {{ in_rows_window('event_date') }}
        {%- else -%}
            true
        {%- endif %}

),

examples_with_draws as (

    select
        user_id,
        tweet_id,
        {% for task in tasks -%}
            {#- In double: a decimal literal would make Spark divide in decimals. #}
            cast(draw_bits_{{ task.name }} as double) / cast(16777216 as double)
                as draw_{{ task.name }},
        {% endfor -%}
        event_date,
        example_ts
    from examples

),

{# Only examples drawn for at least one task are widened below. -#}
examples_drawn_for_some_task as (

    select *
    from examples_with_draws
    where
        {{ drawn_for_some_task | join('\n        or ') }}

),

task_names as (

    {% for task in tasks -%}
        select '{{ task.name }}' as task
        {{- '\n    union all' if not loop.last }}
    {% endfor %}

),

examples_drawn as (

    select
        task_names.task,
        examples_drawn_for_some_task.user_id,
        examples_drawn_for_some_task.tweet_id,
        cast({{ rate }} as double) as sampling_rate,
        cast({{ 1.0 / rate if rate > 0 else 1.0 }} as double) as sample_weight,
        examples_drawn_for_some_task.event_date,
        examples_drawn_for_some_task.example_ts
    from examples_drawn_for_some_task
    cross join task_names
    where
        case task_names.task
            {% for task in tasks -%}
                when '{{ task.name }}' then examples_drawn_for_some_task.draw_{{ task.name }}
            {% endfor -%}
        end < {{ rate }}

)

select * from examples_drawn
