{#- Every clean engagement, attributed to the latest example of the same user
    and tweet at or before it, when it came less than the label window after
    that example's first impression. The rest are kept, unattributed, with a
    reason. Incremental by the engagement's day. -#}
{{ daily_incremental('engagement_date', rebuilds='rows') }}
{%- set window_seconds = label_window_seconds() -%}
{#- Examples are looked for in the engagement's day and the days before it
    that a label window can reach back to. -#}
{%- set lookback_days = label_window_days() -%}

with

engagements as (

    select
        user_id,
        tweet_id,
        action,
        engagement_date,
        engagement_ts
    from {{ ref('stg_feed__engagements') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('engagement_date') }}
    {%- endif %}

),

examples as (

    select
        user_id,
        tweet_id,
        event_date,
        example_ts
    from {{ ref('int_examples_built') }}
    {% if is_incremental() -%}
        where event_date >= {{ add_days(rows_window_start(), -lookback_days) }}
    {%- endif %}

),

{# Engagements are sparse: they drive the join and are unique on these four
   columns after staging, so the latest earlier example is a max(). -#}
latest_example_before_engagement as (

    select
        engagements.user_id,
        engagements.tweet_id,
        engagements.action,
        engagements.engagement_date,
        engagements.engagement_ts,
        max(examples.example_ts) as example_ts
    from engagements
    left join examples
        on
            engagements.user_id = examples.user_id
            and engagements.tweet_id = examples.tweet_id
            and engagements.engagement_ts >= examples.example_ts
            and examples.event_date
            >= {{ add_days('engagements.engagement_date', -lookback_days) }}
    group by
        engagements.user_id,
        engagements.tweet_id,
        engagements.action,
        engagements.engagement_date,
        engagements.engagement_ts

),

engagements_attributed as (

    select
        user_id,
        tweet_id,
        action,
        case
            when example_ts is null then 'no_prior_impression'
            when engagement_ts >= {{ add_seconds('example_ts', window_seconds) }}
                then 'outside_label_window'
        end as unattributed_reason,
        example_ts is not null
        and engagement_ts < {{ add_seconds('example_ts', window_seconds) }}
            as is_attributed,
        cast(example_ts as date) as event_date,
        engagement_date,
        example_ts,
        engagement_ts
    from latest_example_before_engagement

)

select * from engagements_attributed
