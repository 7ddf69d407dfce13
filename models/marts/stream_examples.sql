{#- The continuous-training stream (Ktena et al. 2019): each example the
    stream draws for a task enters as a negative at its impression
    (sample_ts = example_ts), and, when an engagement of the task is
    attributed to it, again as a positive at that engagement
    (sample_ts = engaged_ts). Every day, those whose label windows are still
    open included; a trainer reads it in sample_ts order up to the
    watermark. Incremental by day: a refresh rebuilds the label window's
    days, whose earlier rows come back unchanged, with the positives that
    arrived. -#}
{{ daily_incremental('event_date') }}
{#- The yml cannot list the context columns a var names: with any, the
    contract is not enforced (their types are the var's). -#}
{{ config(contract={'enforced': not impression_context_columns()}) }}
{%- set tasks = get_tasks() %}
{%- set context = impression_context_columns() %}

with

streamed as (

    select
        task,
        user_id,
        tweet_id,
        sampling_rate,
        sample_weight,
        event_date,
        example_ts
    from {{ ref('int_examples_streamed') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date') }}
    {%- endif %}

),

labels as (

    select
        user_id,
        tweet_id,
        {% for task in tasks -%}
            engaged_ts_{{ task.name }},
            label_delay_seconds_{{ task.name }},
        {% endfor -%}
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        event_date
    from {{ ref('int_examples_labeled') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date') }}
    {%- endif %}

),

features as (

    select * from {{ ref('int_example_features') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date') }}
    {%- endif %}

),

streamed_with_labels as (

    select
        streamed.task,
        streamed.user_id,
        streamed.tweet_id,
        streamed.sampling_rate,
        streamed.sample_weight,
        case streamed.task
            {% for task in tasks -%}
                when '{{ task.name }}' then labels.engaged_ts_{{ task.name }}
            {% endfor -%}
        end as engaged_ts,
        case streamed.task
            {% for task in tasks -%}
                when '{{ task.name }}' then labels.label_delay_seconds_{{ task.name }}
            {% endfor -%}
        end as label_delay_seconds,
        {% for column in context -%}
            labels.{{ column.name }},
        {% endfor -%}
        streamed.event_date,
        streamed.example_ts
    from streamed
    inner join labels
        on
            streamed.user_id = labels.user_id
            and streamed.tweet_id = labels.tweet_id
            and streamed.event_date = labels.event_date

),

{# Every drawn example at its impression, when nothing is known of its
   label yet; the positives again at their engagement. -#}
stream_rows as (

    select
        task,
        user_id,
        tweet_id,
        0 as label,
        example_ts as sample_ts,
        cast(null as timestamp) as engaged_ts,
        cast(null as double) as label_delay_seconds,
        sampling_rate,
        sample_weight,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        event_date,
        example_ts
    from streamed_with_labels
    union all
    select
        task,
        user_id,
        tweet_id,
        1 as label,
        engaged_ts as sample_ts,
        engaged_ts,
        label_delay_seconds,
        sampling_rate,
        sample_weight,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        event_date,
        example_ts
    from streamed_with_labels
    where engaged_ts is not null

),

stream_with_features as (

    select
        stream_rows.task,
        stream_rows.user_id,
        stream_rows.tweet_id,
        cast(stream_rows.label as integer) as label,
        stream_rows.sample_ts,
        stream_rows.engaged_ts,
        stream_rows.label_delay_seconds,
        stream_rows.sampling_rate,
        stream_rows.sample_weight,
        stream_rows.event_date,
        stream_rows.example_ts,
        {% for column in context -%}
            stream_rows.{{ column.name }},
        {% endfor -%}
        features.user_impressions_28d,
        case stream_rows.task
            {%- for task in tasks %}
                when '{{ task.name }}' then features.user_engagements_28d_{{ task.name }}
            {%- endfor %}
        end as user_engagements_28d,
        features.tweet_impressions_7d,
        case stream_rows.task
            {%- for task in tasks %}
                when '{{ task.name }}' then features.tweet_engagements_7d_{{ task.name }}
            {%- endfor %}
        end as tweet_engagements_7d,
        features.user_tweet_seen_before,
        features.example_hour,
        features.example_day_of_week
    from stream_rows
    inner join features
        on
            stream_rows.user_id = features.user_id
            and stream_rows.tweet_id = features.tweet_id
            and stream_rows.event_date = features.event_date

)

select * from stream_with_features
