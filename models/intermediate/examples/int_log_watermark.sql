{#- One row: how far both logs reach, and so the last day whose label window
    has closed. A day D is mature when D + 1 day + label window <= watermark
    (every day up to the last with impressions when `closed_collection`).
    A refresh reads only its window's days and the reach the run ledger
    recorded last time. -#}
{#- One row, rebuilt by every run: the exception in its folder. -#}
{{ config(materialized='table') }}

{%- set plan = refresh_plan() -%}
{%- set incremental_run = is_refresh(plan) -%}
{%- set completed_runs = ref('stg_feed_refresh__runs') -%}

with

impressions_reach as (

    select max(impression_ts) as impressions_max_ts
    from {{ ref('stg_feed__impressions') }}
    {% if incremental_run -%}
        where {{ in_refresh_window('impression_date', plan) }}
    {%- endif %}

),

engagements_reach as (

    select max(engagement_ts) as engagements_max_ts
    from {{ ref('stg_feed__engagements') }}
    {% if incremental_run -%}
        where {{ in_refresh_window('engagement_date', plan) }}
    {%- endif %}

),

previous_reach as (

    {% if incremental_run -%}
        select
            max(impressions_max_ts) as impressions_max_ts,
            max(engagements_max_ts) as engagements_max_ts
        from {{ completed_runs }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_timestamp() }}) as impressions_max_ts,
            cast(null as {{ dbt.type_timestamp() }}) as engagements_max_ts
    {%- endif %}

),

{# The later of this run's reach and the reach recorded before (greatest
   skips a null on DuckDB and Spark alike). -#}
reach as (

    select
        greatest(
            impressions_reach.impressions_max_ts, previous_reach.impressions_max_ts
        ) as impressions_max_ts,
        greatest(
            engagements_reach.engagements_max_ts, previous_reach.engagements_max_ts
        ) as engagements_max_ts
    from impressions_reach
    cross join engagements_reach
    cross join previous_reach

),

watermark as (

    select
        impressions_max_ts,
        engagements_max_ts,
        {# Null when either log is empty: nothing is known to be complete. -#}
        case
            when impressions_max_ts is not null and engagements_max_ts is not null
                then least(impressions_max_ts, engagements_max_ts)
        end as watermark_ts
    from reach

),

last_mature_day as (

    select
        impressions_max_ts,
        engagements_max_ts,
        watermark_ts,
        {% if closed_collection() -%}
            {#- A finished collection: every day with impressions is mature. #}
            cast(impressions_max_ts as date) as last_mature_date
        {%- else -%}
            cast(
                {{ add_seconds('watermark_ts', -(86400 + label_window_seconds())) }} as date
            ) as last_mature_date
        {%- endif %}
    from watermark

)

select * from last_mature_day
