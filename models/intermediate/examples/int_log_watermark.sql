{#- One row: how far both logs reach, and so the last day whose label window
    has closed. A day D is mature when D + 1 day + label window <= watermark. -#}
with

impressions_reach as (

    select max(impression_ts) as impressions_max_ts
    from {{ ref('stg_feed__impressions') }}

),

engagements_reach as (

    select max(engagement_ts) as engagements_max_ts
    from {{ ref('stg_feed__engagements') }}

),

watermark as (

    select
        impressions_reach.impressions_max_ts,
        engagements_reach.engagements_max_ts,
        {# Null when either log is empty: nothing is known to be complete. -#}
        case
            when
                impressions_reach.impressions_max_ts is not null
                and engagements_reach.engagements_max_ts is not null
                then least(
                    impressions_reach.impressions_max_ts,
                    engagements_reach.engagements_max_ts
                )
        end as watermark_ts
    from impressions_reach
    cross join engagements_reach

),

last_mature_day as (

    select
        impressions_max_ts,
        engagements_max_ts,
        watermark_ts,
        cast(
            {{ dbt.dateadd(
                'second', -(86400 + label_window_seconds()), 'watermark_ts'
            ) }} as date
        ) as last_mature_date
    from watermark

)

select * from last_mature_day
