{#- Clean events on days after their log's reach, too few to carry it (see
    int_log_watermark): usually a device whose clock is far ahead. They stay
    in the clean logs; their days are not mature until the logs reach them.
    One row per log, raw file and day, with the count. Warns, and the run's
    log names each. -#}
{{ config(severity='warn', meta={'log_findings': true}) }}

select
    volumes.log_name,
    volumes.source_file,
    volumes.activity_date,
    sum(volumes.events) as events
from {{ ref('int_log_daily_volumes') }} as volumes
cross join {{ ref('int_log_watermark') }} as watermark
where
    volumes.activity_date > cast(
        case volumes.log_name
            when 'impressions' then watermark.impressions_max_ts
            else watermark.engagements_max_ts
        end as date
    )
group by volumes.log_name, volumes.source_file, volumes.activity_date
