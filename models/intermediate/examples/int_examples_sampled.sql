{#- One row per example kept for a task, with its label, the rate its class
    was kept at and the weight that undoes the downsampling. All days, mature
    or not: the marts keep the mature ones. -#}
{{ downsample_examples(ref('int_examples_labeled'), ref('int_daily_sampling_rates')) }}
