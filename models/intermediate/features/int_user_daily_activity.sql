{#- Per user and UTC day: clean impressions and engagements per task, the
    input of the user features. -#}
{{ daily_incremental('activity_date') }}
{%- set tasks = get_tasks() %}
{%- set action_lists = {} %}
{%- for task in tasks %}
    {%- do action_lists.update({task.name: "('" ~ task.actions | join("', '") ~ "')"}) %}
{%- endfor %}
{%- set plan = refresh_plan() %}

with

impressions as (

    select
        user_id,
        1 as impressions,
        {% for task in tasks -%}
            0 as engagements_{{ task.name }},
        {% endfor -%}
        impression_date as activity_date
    from {{ ref('stg_feed__impressions') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('impression_date', plan) }}
    {%- endif %}

),

engagements as (

    select
        user_id,
        0 as impressions,
        {% for task in tasks -%}
            case when action in {{ action_lists[task.name] }} then 1 else 0 end
                as engagements_{{ task.name }},
        {% endfor -%}
        engagement_date as activity_date
    from {{ ref('stg_feed__engagements') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('engagement_date', plan) }}
    {%- endif %}

),

events as (

    select * from impressions
    union all
    select * from engagements

),

daily_activity as (

    select
        user_id,
        sum(impressions) as impressions,
        {% for task in tasks -%}
            sum(engagements_{{ task.name }}) as engagements_{{ task.name }},
        {% endfor -%}
        activity_date
    from events
    group by user_id, activity_date

)

select * from daily_activity
