{#- Each kept example of a mature day with its point-in-time features, the
    engagement counts taken for the row's own task (a model for task T trains
    on the rows of T), and how long its label window had been watched at the
    watermark (observed_seconds: the whole window once the day is mature,
    less on the last days of a closed collection). A day is written once it
    is mature and then only when a refresh window re-opens it: the run
    appends the mature days in the window or later than any day the table
    holds. Both reads are joined to those days before they meet, so that
    the engines skip the other days' rows. The three split marts are views
    over it, so a day that moves from one split to the next is not written
    again. -#}
{{ daily_incremental('event_date') }}
{%- set tasks = get_tasks() %}
{%- set context = impression_context_columns() %}

with

days_to_append as (

    select event_date
    from {{ ref('int_mature_days_split') }}
    where {{ days_to_append() }}

),

sampled_examples as (

    select
        sampled.task,
        sampled.user_id,
        sampled.tweet_id,
        sampled.label,
        sampled.sampling_rate,
        sampled.sample_weight,
        sampled.engaged_ts,
        sampled.label_delay_seconds,
        {% for column in context -%}
            sampled.{{ column.name }},
        {% endfor -%}
        sampled.event_date,
        sampled.example_ts
    from {{ ref('int_examples_sampled') }} as sampled
    inner join days_to_append
        on sampled.event_date = days_to_append.event_date

),

watermark as (

    select watermark_ts
    from {{ ref('int_log_watermark') }}

),

features as (

    select features.*
    from {{ ref('int_example_features') }} as features
    inner join days_to_append
        on features.event_date = days_to_append.event_date

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
            cast({{ var('label_window_hours') }} as double) * 3600
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
