{#- Every example with one 0/1 label column per task, and when the label
    came: the task's first attributed engagement and its delay after the
    example's first impression. The sparse attributed
    engagements are aggregated to one row per example first, then joined.
    Incremental by day: a refresh rebuilds the days of its new examples and,
    on the label window's days before them, only the examples of a user and
    tweet with an engagement on those new days (the only labels that can
    change there; on Spark, whose tables drop whole days, all of them). -#}
{{ daily_incremental('event_date', rebuilds='engaged_pairs') }}
{%- set tasks = get_tasks() -%}
{%- set context = impression_context_columns() -%}

with

examples as (

    select
        user_id,
        tweet_id,
        impressions,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        event_date,
        example_ts
    from {{ ref('int_examples_built') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('event_date') }}
        union all
        select
            user_id,
            tweet_id,
            impressions,
            {% for column in context -%}
                {{ column.name }},
            {% endfor -%}
            event_date,
            example_ts
        from {{ ref('int_examples_built') }} as examples
        where
            {{ reopened_days('event_date') }}
            and {{ reopened_rows('engaged_pairs', 'examples') }}
    {%- endif %}

),

attributed_engagements as (

    select
        user_id,
        tweet_id,
        action,
        event_date,
        engagement_ts
    from {{ ref('int_engagements_attributed') }}
    where
        is_attributed
    {%- if is_incremental() %}
            and {{ in_refresh_window('event_date') }}
            {#- Implied (an engagement is never before its example's day)
                and on the column the table is partitioned by: Spark reads
                only the window's files. #}
            and engagement_date >= {{ refresh_window_start() }}
        {%- endif %}

),

labels_per_example as (

    select
        user_id,
        tweet_id,
        {% for task in tasks -%}
            max(case when {{ action_in_task(task) }} then 1 else 0 end)
                as label_{{ task.name }},
            min(case when {{ action_in_task(task) }} then engagement_ts end)
                as engaged_ts_{{ task.name }},
        {% endfor -%}
        event_date
    from attributed_engagements
    group by user_id, tweet_id, event_date

),

examples_labeled as (

    select
        examples.user_id,
        examples.tweet_id,
        examples.impressions,
        {% for task in tasks -%}
            coalesce(labels_per_example.label_{{ task.name }}, 0)
                as label_{{ task.name }},
            labels_per_example.engaged_ts_{{ task.name }},
            {{ seconds_between(
                'examples.example_ts', 'labels_per_example.engaged_ts_' ~ task.name
            ) }} as label_delay_seconds_{{ task.name }},
        {% endfor -%}
        {% for column in context -%}
            examples.{{ column.name }},
        {% endfor -%}
        examples.event_date,
        examples.example_ts
    from examples
    left join labels_per_example
        on
            examples.user_id = labels_per_example.user_id
            and examples.tweet_id = labels_per_example.tweet_id
            and examples.event_date = labels_per_example.event_date

)

select * from examples_labeled
