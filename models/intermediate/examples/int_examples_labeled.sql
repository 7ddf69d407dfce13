{#- Every example with one 0/1 label column per task, and when the label
    came: the task's first attributed engagement and its delay after the
    example's first impression; and the 24 bits of its md5 digest that make
    each task's draw (one digest per five tasks), taken once here so that a
    day whose labels change is drawn again without hashing it again. The
    sparse attributed engagements are aggregated to one row per example
    first, then joined.
    Incremental by day: a refresh rebuilds the days of its new examples and,
    on the label window's days before them, only the examples of a user and
    tweet with an engagement on those new days (the only labels that can
    change there; on Spark, whose tables drop whole days, all of them). -#}
{{ daily_incremental('event_date', rebuilds='engaged_pairs') }}
{%- set tasks = get_tasks() -%}
{%- set context = impression_context_columns() -%}
{%- set digest_groups = range(((tasks | length) + 4) // 5) -%}

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

examples_hashed as (

    select
        {% for group in digest_groups -%}
            {{ example_digest(group, 'examples') }} as digest_{{ group }},
        {% endfor -%}
        examples.*
    from examples

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
        examples_hashed.user_id,
        examples_hashed.tweet_id,
        examples_hashed.impressions,
        {% for task in tasks -%}
            coalesce(labels_per_example.label_{{ task.name }}, 0)
                as label_{{ task.name }},
            labels_per_example.engaged_ts_{{ task.name }},
            {{ seconds_between(
                'examples_hashed.example_ts', 'labels_per_example.engaged_ts_' ~ task.name
            ) }} as label_delay_seconds_{{ task.name }},
        {% endfor -%}
        {% for column in context -%}
            examples_hashed.{{ column.name }},
        {% endfor -%}
        {% for task in tasks -%}
            {{ draw_bits_from_digest(
                'examples_hashed.digest_' ~ (task.position // 5), task.position % 5
            ) }} as draw_bits_{{ task.name }},
        {% endfor -%}
        examples_hashed.event_date,
        examples_hashed.example_ts
    from examples_hashed
    left join labels_per_example
        on
            examples_hashed.user_id = labels_per_example.user_id
            and examples_hashed.tweet_id = labels_per_example.tweet_id
            and examples_hashed.event_date = labels_per_example.event_date

)

select * from examples_labeled
