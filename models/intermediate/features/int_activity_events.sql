{#- One row per clean impression or engagement: the user, the tweet, its UTC
    day, 1 for an impression, and per task 1 for an engagement whose action
    belongs to the task. Ephemeral: the user and tweet daily activity count
    it by their own key, each for the days it rewrites. -#}
{{ config(materialized='ephemeral') }}
{%- set tasks = get_tasks() %}
{%- set action_lists = {} %}
{%- for task in tasks %}
    {%- do action_lists.update({task.name: "('" ~ task.actions | join("', '") ~ "')"}) %}
{%- endfor %}

with

impressions as (

    select
        user_id,
        tweet_id,
        1 as impressions,
        {% for task in tasks -%}
            0 as engagements_{{ task.name }},
        {% endfor -%}
        impression_date as activity_date
    from {{ ref('stg_feed__impressions') }}

),

engagements as (

    select
        user_id,
        tweet_id,
        0 as impressions,
        {% for task in tasks -%}
            case when action in {{ action_lists[task.name] }} then 1 else 0 end
                as engagements_{{ task.name }},
        {% endfor -%}
        engagement_date as activity_date
    from {{ ref('stg_feed__engagements') }}

),

activity_events as (

    select * from impressions
    union all
    select * from engagements

)

select * from activity_events
