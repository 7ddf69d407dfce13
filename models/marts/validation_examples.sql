{#- The kept examples of the mature days in the validation split, with their
    point-in-time features. Incremental on both engines (dbt_project.yml):
    the pre-hook deletes the refresh window's days and the days that left
    the split, then the run appends the split's days that are in the window
    or later than any day the table holds. The sampled history is never
    rewritten; changing the split vars needs --full-refresh. -#}
{{ daily_incremental('event_date') }}
{#- The yml cannot list the context columns a var names: with any, the
    contract is not enforced (their types are the var's). -#}
{{ config(contract={'enforced': not impression_context_columns()}) }}

with

days_to_append as (

    select event_date
    from {{ ref('int_mature_days_split') }}
    where
        split = 'validation'
        and {{ days_to_append() }}

),

validation_examples as (

    select examples_with_features.*
    from {{ ref('int_examples_with_features') }} as examples_with_features
    inner join days_to_append
        on examples_with_features.event_date = days_to_append.event_date

)

select * from validation_examples
