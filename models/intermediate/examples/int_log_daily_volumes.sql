{#- Per log, event type (impression, or the canonical action of an
    engagement), raw file and UTC day: the clean events and their first and
    last time. Small (a row per file, type and day), so the models that need
    the logs' whole history of volumes (how far each log reaches) read it
    here instead of the clean logs. Incremental by day. -#}
{{ daily_incremental('activity_date', rebuilds='rows') }}

with

impressions as (

    select
        'impressions' as log_name,
        'impression' as event_type,
        source_file,
        impression_ts as event_ts,
        impression_date as activity_date
    from {{ ref('stg_feed__impressions') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('impression_date') }}
    {%- endif %}

),

engagements as (

    select
        'engagements' as log_name,
        action as event_type,
        source_file,
        engagement_ts as event_ts,
        engagement_date as activity_date
    from {{ ref('stg_feed__engagements') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('engagement_date') }}
    {%- endif %}

),

events as (

    select * from impressions
    union all
    select * from engagements

),

daily_volumes as (

    select
        log_name,
        event_type,
        source_file,
        count(*) as events,
        min(event_ts) as first_event_ts,
        max(event_ts) as last_event_ts,
        activity_date
    from events
    group by log_name, event_type, source_file, activity_date

)

select * from daily_volumes
