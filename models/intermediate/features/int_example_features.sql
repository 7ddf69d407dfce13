{#- Point-in-time features of each kept example (user, tweet, UTC day D:
    kept for at least one task), from clean events timestamped before
    D 00:00 UTC only:
      user_impressions_28d, user_engagements_28d_<task>: the user's clean
        impressions and engagements (per task) in [D - 28 days, D);
      tweet_impressions_7d, tweet_engagements_7d_<task>: the tweet's, in
        [D - 7 days, D);
      user_tweet_seen_before: an impression of the tweet by the user in
        [D - 28 days, D);
      example_hour, example_day_of_week: of example_ts (UTC; Monday 1).
    Only the examples kept for a task or drawn into the stream, which are all
    the marts carry. Each sum joins a
    kept (user, day) or (tweet, day) to the daily activity of the days
    before it; seen-before looks up the pair's examples on those days.
    Incremental by day: a refresh rebuilds the days of its new rows, reading
    the daily activity from 28 days before the window's first day. On the
    label window's earlier days, whose activity before them did not change,
    it deletes the examples the draw no longer keeps and adds those it now
    keeps (on Spark, whose tables drop whole days, all of them). A window
    with an end is extended by 28 days (see docs/operations.md), so the days
    whose features read a rebuilt day are rebuilt too. -#}
{{ daily_incremental('event_date', rebuilds='newly_kept') }}
{%- set tasks = get_tasks() %}
{%- set lookback = feature_lookback_days() %}
{%- set reads_from = add_days(refresh_window_start(), -lookback) %}

with

examples as (

    select distinct
        user_id,
        tweet_id,
        event_date,
        example_ts
    from {{ ref('int_examples_sampled') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('event_date') }}
    {%- endif %}
    union
    select
        user_id,
        tweet_id,
        event_date,
        example_ts
    from {{ ref('int_examples_streamed') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('event_date') }}
        union
        select
            kept.user_id,
            kept.tweet_id,
            kept.event_date,
            kept.example_ts
        from (
            select user_id, tweet_id, event_date, example_ts
            from {{ ref('int_examples_sampled') }}
            union all
            select user_id, tweet_id, event_date, example_ts
            from {{ ref('int_examples_streamed') }}
        ) as kept
        {#- A join, not a NOT EXISTS: DuckDB plans the subquery as two joins
            and an aggregate, three times slower. #}
        left join (
            select user_id, tweet_id, event_date
            from {{ this }}
            where {{ reopened_days('event_date') }}
        ) as kept_before
            on
                kept.event_date = kept_before.event_date
                and kept.user_id = kept_before.user_id
                and kept.tweet_id = kept_before.tweet_id
        where
            {{ reopened_days('kept.event_date') }}
            and kept_before.user_id is null
    {%- endif %}

),

user_days as (

    select * from {{ ref('int_user_daily_activity') }}
    {% if is_incremental() -%}
        where activity_date >= {{ reads_from }}
    {%- endif %}

),

tweet_days as (

    select * from {{ ref('int_tweet_daily_activity') }}
    {% if is_incremental() -%}
        where activity_date >= {{ reads_from }}
    {%- endif %}

),

earlier_examples as (

    select
        user_id,
        tweet_id,
        event_date
    from {{ ref('int_examples_built') }}
    {% if is_incremental() -%}
        where event_date >= {{ reads_from }}
    {%- endif %}

),

examples_per_user_day as (

    select distinct
        user_id,
        event_date
    from examples

),

examples_per_tweet_day as (

    select distinct
        tweet_id,
        event_date
    from examples

),

{# A day with no activity has no row: the sums add the rows of the days
   in [D - 28, D) that exist, and a user or tweet with none gets 0. -#}
user_features as (

    select
        examples_per_user_day.user_id,
        examples_per_user_day.event_date,
        {%- for task in tasks %}
            sum(user_days.engagements_{{ task.name }})
                as user_engagements_28d_{{ task.name }},
        {%- endfor %}
        sum(user_days.impressions) as user_impressions_28d
    from examples_per_user_day
    inner join user_days
        on
            examples_per_user_day.user_id = user_days.user_id
            and examples_per_user_day.event_date > user_days.activity_date
            and {{ add_days('examples_per_user_day.event_date', -lookback) }}
            <= user_days.activity_date
    group by examples_per_user_day.user_id, examples_per_user_day.event_date

),

tweet_features as (

    select
        examples_per_tweet_day.tweet_id,
        examples_per_tweet_day.event_date,
        {%- for task in tasks %}
            sum(tweet_days.engagements_{{ task.name }})
                as tweet_engagements_7d_{{ task.name }},
        {%- endfor %}
        sum(tweet_days.impressions) as tweet_impressions_7d
    from examples_per_tweet_day
    inner join tweet_days
        on
            examples_per_tweet_day.tweet_id = tweet_days.tweet_id
            and examples_per_tweet_day.event_date > tweet_days.activity_date
            and {{ add_days('examples_per_tweet_day.event_date', -7) }} <= tweet_days.activity_date
    group by examples_per_tweet_day.tweet_id, examples_per_tweet_day.event_date

),

{# The kept examples whose pair has an example on one of the 28 days
   before theirs. -#}
seen_before as (

    select distinct
        examples.user_id,
        examples.tweet_id,
        examples.event_date
    from examples
    inner join earlier_examples
        on
            examples.user_id = earlier_examples.user_id
            and examples.tweet_id = earlier_examples.tweet_id
            and examples.event_date > earlier_examples.event_date
            and {{ add_days('examples.event_date', -lookback) }} <= earlier_examples.event_date

),

example_features as (

    select
        examples.user_id,
        examples.tweet_id,
        examples.event_date,
        cast(coalesce(user_features.user_impressions_28d, 0) as bigint)
            as user_impressions_28d,
        {%- for task in tasks %}
            cast(coalesce(user_features.user_engagements_28d_{{ task.name }}, 0) as bigint)
                as user_engagements_28d_{{ task.name }},
        {%- endfor %}
        cast(coalesce(tweet_features.tweet_impressions_7d, 0) as bigint)
            as tweet_impressions_7d,
        {%- for task in tasks %}
            cast(coalesce(tweet_features.tweet_engagements_7d_{{ task.name }}, 0) as bigint)
                as tweet_engagements_7d_{{ task.name }},
        {%- endfor %}
        seen_before.user_id is not null as user_tweet_seen_before,
        cast(extract(hour from examples.example_ts) as integer) as example_hour,
        cast({{ iso_day_of_week('examples.example_ts') }} as integer) as example_day_of_week
    from examples
    left join user_features
        on
            examples.user_id = user_features.user_id
            and examples.event_date = user_features.event_date
    left join tweet_features
        on
            examples.tweet_id = tweet_features.tweet_id
            and examples.event_date = tweet_features.event_date
    left join seen_before
        on
            examples.user_id = seen_before.user_id
            and examples.tweet_id = seen_before.tweet_id
            and examples.event_date = seen_before.event_date

)

select * from example_features
