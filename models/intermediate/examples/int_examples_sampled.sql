{#- One row per example kept for a task, with its label, the rate its class
    was kept at and the weight that undoes the downsampling. All days, mature
    or not: the marts keep the mature ones. Incremental by day. -#}
{{ daily_incremental('event_date') }}

{{ downsample_examples(
    ref('int_examples_labeled'),
    ref('int_daily_sampling_rates'),
    where=in_refresh_window('event_date') if is_incremental() else none,
) }}
