{#- What defines the sample of this build, one row per task: the task's
    actions and hash slice, the sampling vars (the mode, the task's fixed
    rates, the per-user cap), the label window, the split
    settings and the logs' watermark. The export writes it into its
    manifest, so a trainer knows which sample it reads. Rebuilt every run:
    it shows the vars of the last build (after changing them, run
    --full-refresh so the history follows, see docs/configuration.md). -#}
{%- set tasks = get_tasks() %}
{%- set sampling = sampling_settings() %}

with

watermark as (

    select watermark_ts from {{ ref('int_log_watermark') }}

),

tasks as (

    {% for task in tasks -%}
        select
            {{ sql_string(task.name) }} as task,
            {{ task.position }} as task_position,
            {{ sql_string(task.actions | join(',')) }} as actions,
            {% if sampling.mode == 'fixed_rates' -%}
                {{ sampling.fixed_rates[task.name].positive }} as fixed_positive_rate,
                {{ sampling.fixed_rates[task.name].negative }} as fixed_negative_rate
            {%- else -%}
                null as fixed_positive_rate,
                null as fixed_negative_rate
            {%- endif %}
        {{- '\n        union all' if not loop.last }}
    {% endfor %}

),

definition as (

    select
        cast(tasks.task as {{ dbt.type_string() }}) as task,
        cast(tasks.task_position as integer) as task_position,
        cast(tasks.actions as {{ dbt.type_string() }}) as actions,
        cast({{ sql_string(var('sampling_salt')) }} as {{ dbt.type_string() }})
            as sampling_salt,
        cast({{ var('negatives_per_positive') | float }} as double)
            as negatives_per_positive,
        cast({{ var('daily_cap') | int if var('daily_cap') is not none else 'null' }} as bigint)
            as daily_cap,
        cast({{ sql_string(sampling.mode) }} as {{ dbt.type_string() }}) as sampling_mode,
        cast(tasks.fixed_positive_rate as double) as fixed_positive_rate,
        cast(tasks.fixed_negative_rate as double) as fixed_negative_rate,
        cast({{ sampling.per_user_daily_cap if sampling.per_user_daily_cap is not none
            else 'null' }} as bigint) as per_user_daily_cap,
        cast({{ label_window_seconds() / 3600.0 }} as double) as label_window_hours,
        cast({{ sql_string(var('id_type') | lower) }} as {{ dbt.type_string() }}) as id_type,
        cast({{ var('validation_days') | int }} as integer) as validation_days,
        cast({{ var('test_days') | int }} as integer) as test_days,
        cast({{ var('split_gap_days') | int }} as integer) as split_gap_days,
        {% for name in ['validation_start_date', 'test_start_date', 'test_end_date'] -%}
            cast({{ sql_string(var(name)) if var(name) is not none else 'null' }} as date)
                as {{ name }},
        {% endfor -%}
        watermark.watermark_ts
    from tasks
    cross join watermark

)

select * from definition
