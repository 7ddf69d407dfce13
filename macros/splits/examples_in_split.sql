{% macro examples_in_split(split_name) %}
    {#- The kept examples of the mature days assigned to one split. -#}
    {%- if split_name not in ['train', 'validation', 'test'] -%}
        {{ exceptions.raise_compiler_error(
            "examples_in_split: unknown split '" ~ split_name ~ "'") }}
    {%- endif -%}
with

sampled_examples as (

    select * from {{ ref('int_examples_sampled') }}

),

split_days as (

    select event_date
    from {{ ref('int_mature_days_split') }}
    where split = '{{ split_name }}'

),

examples_in_split as (

    select
        sampled_examples.task,
        sampled_examples.user_id,
        sampled_examples.tweet_id,
        sampled_examples.label,
        sampled_examples.sampling_rate,
        sampled_examples.sample_weight,
        sampled_examples.event_date,
        sampled_examples.example_ts
    from sampled_examples
    inner join split_days
        on sampled_examples.event_date = split_days.event_date

)

select * from examples_in_split
{% endmacro %}
