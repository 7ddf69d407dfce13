{#- The windows planned, one row per invocation, whether or not it
    completed: beside stg_feed_refresh__runs it shows the runs that failed. -#}

with

windows as (

    select
        invocation_id,
        window_mode,
        window_start,
        window_end,
        planned_ts
    from {{ source('feed_refresh', 'windows') }}

)

select * from windows
