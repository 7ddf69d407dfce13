{#- Per user and UTC day: clean impressions and engagements per task, the
    input of the user features. -#}
{{ daily_incremental('activity_date') }}
{%- set tasks = get_tasks() %}
{%- set plan = refresh_plan() %}

with

activity_events as (

    select * from {{ ref('int_activity_events') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('activity_date', plan) }}
    {%- endif %}

),

daily_activity as (

    select
        user_id,
        sum(impressions) as impressions,
        {% for task in tasks -%}
            sum(engagements_{{ task.name }}) as engagements_{{ task.name }},
        {% endfor -%}
        activity_date
    from activity_events
    group by user_id, activity_date

)

select * from daily_activity
