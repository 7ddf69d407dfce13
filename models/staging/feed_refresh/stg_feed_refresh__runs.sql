{#- The run ledger as analysts and the report read it: one row per
    completed invocation, newest last. -#}

with

runs as (

    select
        invocation_id,
        window_mode,
        window_start,
        window_end,
        impressions_max_ts,
        engagements_max_ts,
        watermark_ts,
        completed_ts
    from {{ source('feed_refresh', 'runs') }}

)

select * from runs
