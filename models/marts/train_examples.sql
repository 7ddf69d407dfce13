{#- The kept examples of the mature days in the train split, with their
    point-in-time features. Incremental on both engines (dbt_project.yml):
    the pre-hook deletes the refresh window's days and the days that left
    the split, then the run appends the split's days that are in the window
    or later than any day the table holds. The sampled history is never
    rewritten; changing the split vars needs --full-refresh. -#}
{{ daily_incremental('event_date') }}
{%- set days_in_run = days_to_append() %}

with

split_days as (

    select event_date
    from {{ ref('int_mature_days_split') }}
    where split = 'train'

),

{# sampled_examples, features, examples_with_features: the kept examples of
   the days this run appends, each with its point-in-time features. -#}
{{ kept_examples_with_features(days_in_run) }}

train_examples as (

    select examples_with_features.*
    from examples_with_features
    inner join split_days
        on examples_with_features.event_date = split_days.event_date

)

select * from train_examples
