{#- Each kept example with its point-in-time features, the engagement counts
    taken for the row's own task (a model for task T trains on the rows of
    T), and how long its label window had been watched at the watermark
    (observed_seconds: the whole window once the day is mature, less on the
    last days of a closed collection). Ephemeral: each split mart selects
    its own days from it. -#}
{{ config(materialized='ephemeral') }}
{%- set tasks = get_tasks() %}
{%- set context = impression_context_columns() %}

with

sampled_examples as (

    select
        task,
        user_id,
        tweet_id,
        label,
        sampling_rate,
        sample_weight,
        engaged_ts,
        label_delay_seconds,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        event_date,
        example_ts
    from {{ ref('int_examples_sampled') }}

),

watermark as (

    select watermark_ts
    from {{ ref('int_log_watermark') }}

),

features as (

    select * from {{ ref('int_example_features') }}

),

examples_with_features as (

    select
        sampled_examples.task,
        sampled_examples.user_id,
        sampled_examples.tweet_id,
        sampled_examples.label,
        sampled_examples.sampling_rate,
        sampled_examples.sample_weight,
        sampled_examples.engaged_ts,
        sampled_examples.label_delay_seconds,
        greatest(least(
            {{ seconds_between('sampled_examples.example_ts', 'watermark.watermark_ts') }},
            cast({{ label_window_seconds() }} as double)
        ), cast(0 as double)) as observed_seconds,
        sampled_examples.event_date,
        sampled_examples.example_ts,
        {% for column in context -%}
            sampled_examples.{{ column.name }},
        {% endfor -%}
        features.user_impressions_28d,
        case sampled_examples.task
            {%- for task in tasks %}
                when '{{ task.name }}' then features.user_engagements_28d_{{ task.name }}
            {%- endfor %}
        end as user_engagements_28d,
        features.tweet_impressions_7d,
        case sampled_examples.task
            {%- for task in tasks %}
                when '{{ task.name }}' then features.tweet_engagements_7d_{{ task.name }}
            {%- endfor %}
        end as tweet_engagements_7d,
        features.user_tweet_seen_before,
        features.example_hour,
        features.example_day_of_week
    from sampled_examples
    inner join features
        on
            sampled_examples.user_id = features.user_id
            and sampled_examples.tweet_id = features.tweet_id
            and sampled_examples.event_date = features.event_date
    cross join watermark

)

select * from examples_with_features
