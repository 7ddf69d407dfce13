{% macro daily_activity(key_column) %}
    {#- Per `key_column` (user_id or tweet_id) and UTC day: the clean,
        deduplicated impressions and, per task, the clean engagements whose
        action belongs to the task. The days a feature window can read:
        the refresh window's, on a refresh. Incremental by day. -#}
    {{ daily_incremental('activity_date') }}
    {%- set tasks = get_tasks() %}

with

impressions as (

    select
        {{ key_column }},
        impression_date as activity_date,
        1 as impressions,
        {%- for task in tasks %}
            0 as engagements_{{ task.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_feed__impressions') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('impression_date') }}
    {%- endif %}

),

engagements as (

    select
        {{ key_column }},
        engagement_date as activity_date,
        0 as impressions,
        {%- for task in tasks %}
            case
                when action in ('{{ task.actions | join("', '") }}') then 1 else 0
            end as engagements_{{ task.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_feed__engagements') }}
    {% if is_incremental() -%}
        where {{ in_refresh_window('engagement_date') }}
    {%- endif %}

),

events as (

    select * from impressions
    union all
    select * from engagements

),

daily_activity as (

    select
        {{ key_column }},
        activity_date,
        sum(impressions) as impressions,
        {%- for task in tasks %}
            sum(engagements_{{ task.name }}) as engagements_{{ task.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from events
    group by {{ key_column }}, activity_date

)

select * from daily_activity
{% endmacro %}
