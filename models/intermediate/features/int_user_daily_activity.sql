{#- Per user and UTC day: clean impressions and, per task, clean engagements
    whose action belongs to the task; the input of the user features. Impressions
    and the sparse engagements are counted apart, then joined: a day with
    either has a row. Incremental by day. -#}
{{ daily_incremental('activity_date', rebuilds='rows') }}
{%- set tasks = get_tasks() %}

with

impressions as (

    select
        user_id,
        impression_date
    from {{ ref('stg_feed__impressions') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('impression_date') }}
    {%- endif %}

),

engagements as (

    select
        user_id,
        action,
        engagement_date
    from {{ ref('stg_feed__engagements') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('engagement_date') }}
    {%- endif %}

),

impressions_per_day as (

    select
        user_id,
        count(*) as impressions,
        impression_date as activity_date
    from impressions
    group by user_id, impression_date

),

engagements_per_day as (

    select
        user_id,
        {#- A count, BIGINT on both engines: DuckDB sums integers into HUGEINT,
            twice as wide to store and to sum again in the features. #}
        {% for task in tasks -%}
            count(case when {{ action_in_task(task) }} then 1 end)
                as engagements_{{ task.name }},
        {% endfor -%}
        engagement_date as activity_date
    from engagements
    group by user_id, engagement_date

),

daily_activity as (

    select
        coalesce(impressions_per_day.user_id, engagements_per_day.user_id) as user_id,
        coalesce(impressions_per_day.impressions, 0) as impressions,
        {% for task in tasks -%}
            coalesce(engagements_per_day.engagements_{{ task.name }}, 0)
                as engagements_{{ task.name }},
        {% endfor -%}
        coalesce(impressions_per_day.activity_date, engagements_per_day.activity_date)
            as activity_date
    from impressions_per_day
    full outer join engagements_per_day
        on
            impressions_per_day.user_id = engagements_per_day.user_id
            and impressions_per_day.activity_date = engagements_per_day.activity_date

)

select * from daily_activity
