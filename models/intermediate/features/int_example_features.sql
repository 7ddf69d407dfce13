{#- Point-in-time features of each example (user, tweet, UTC day D), from
    clean events timestamped before D 00:00 UTC only:
      user_impressions_28d, user_engagements_28d_<task>: the user's clean
        impressions and engagements (per task) in [D - 28 days, D);
      tweet_impressions_7d, tweet_engagements_7d_<task>: the tweet's, in
        [D - 7 days, D);
      user_tweet_seen_before: an impression of the tweet by the user in
        [D - 28 days, D);
      example_hour, example_day_of_week: of example_ts (UTC; Monday 1).
    Incremental by day: a refresh rebuilds its window's days, reading the
    daily activity from 28 days before the window's first day. A window with
    an end is extended by 28 days (see docs/operations.md), so the days
    whose features read a rebuilt day are rebuilt too. -#}
{{ daily_incremental('event_date') }}
{%- set tasks = get_tasks() %}
{%- set plan = refresh_plan() %}
{%- set lookback = feature_lookback_days() %}
{%- set reads_from = add_days("cast('" ~ plan.start ~ "' as date)", -lookback)
    if plan.start else none %}

with

examples as (

    select
        user_id,
        tweet_id,
        event_date,
        example_ts
    from {{ ref('int_examples_built') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('event_date', plan) }}
    {%- endif %}

),

user_days as (

    select
        *,
        {{ day_number('activity_date') }} as day_number
    from {{ ref('int_user_daily_activity') }}
    {% if is_incremental() and reads_from -%}
        where activity_date >= {{ reads_from }}
    {%- endif %}

),

tweet_days as (

    select
        *,
        {{ day_number('activity_date') }} as day_number
    from {{ ref('int_tweet_daily_activity') }}
    {% if is_incremental() and reads_from -%}
        where activity_date >= {{ reads_from }}
    {%- endif %}

),

user_tweet_days as (

    select
        user_id,
        tweet_id,
        event_date,
        {{ day_number('event_date') }} as day_number
    from {{ ref('int_examples_built') }}
    {% if is_incremental() and reads_from -%}
        where event_date >= {{ reads_from }}
    {%- endif %}

),

{# Frames over whole days before the row's day: a day with no activity
   has no row, so a range over day numbers, not a count of rows. -#}
user_features as (

    select
        user_id,
        activity_date,
        {%- for task in tasks %}
            coalesce(sum(engagements_{{ task.name }}) over last_28_days, 0)
                as user_engagements_28d_{{ task.name }},
        {%- endfor %}
        coalesce(sum(impressions) over last_28_days, 0) as user_impressions_28d
    from user_days
    window last_28_days as (
        partition by user_id
        order by day_number
        range between {{ lookback }} preceding and 1 preceding
    )

),

tweet_features as (

    select
        tweet_id,
        activity_date,
        {%- for task in tasks %}
            coalesce(sum(engagements_{{ task.name }}) over last_7_days, 0)
                as tweet_engagements_7d_{{ task.name }},
        {%- endfor %}
        coalesce(sum(impressions) over last_7_days, 0) as tweet_impressions_7d
    from tweet_days
    window last_7_days as (
        partition by tweet_id
        order by day_number
        range between 7 preceding and 1 preceding
    )

),

user_tweet_features as (

    select
        user_id,
        tweet_id,
        event_date,
        count(*) over last_28_days > 0 as user_tweet_seen_before
    from user_tweet_days
    window last_28_days as (
        partition by user_id, tweet_id
        order by day_number
        range between {{ lookback }} preceding and 1 preceding
    )

),

example_features as (

    select
        examples.user_id,
        examples.tweet_id,
        examples.event_date,
        cast(user_features.user_impressions_28d as bigint) as user_impressions_28d,
        {%- for task in tasks %}
            cast(user_features.user_engagements_28d_{{ task.name }} as bigint)
                as user_engagements_28d_{{ task.name }},
        {%- endfor %}
        cast(tweet_features.tweet_impressions_7d as bigint) as tweet_impressions_7d,
        {%- for task in tasks %}
            cast(tweet_features.tweet_engagements_7d_{{ task.name }} as bigint)
                as tweet_engagements_7d_{{ task.name }},
        {%- endfor %}
        user_tweet_features.user_tweet_seen_before,
        cast(extract(hour from examples.example_ts) as integer) as example_hour,
        cast({{ iso_day_of_week('examples.example_ts') }} as integer) as example_day_of_week
    from examples
    inner join user_features
        on
            examples.user_id = user_features.user_id
            and examples.event_date = user_features.activity_date
    inner join tweet_features
        on
            examples.tweet_id = tweet_features.tweet_id
            and examples.event_date = tweet_features.activity_date
    inner join user_tweet_features
        on
            examples.user_id = user_tweet_features.user_id
            and examples.tweet_id = user_tweet_features.tweet_id
            and examples.event_date = user_tweet_features.event_date

)

select * from example_features
