{#- The kept examples of the mature days in the test split, with their
    point-in-time features: a view over int_examples_with_features, which
    writes each mature day once. A day that moves into the split as days
    mature, or a change of the split vars, needs no rewrite. -#}
{#- The yml cannot list the context columns a var names: with any, the
    contract is not enforced (their types are the var's). -#}
{{ config(contract={'enforced': not impression_context_columns()}) }}

with

split_days as (

    select event_date
    from {{ ref('int_mature_days_split') }}
    where split = 'test'

),

test_examples as (

    select examples_with_features.*
    from {{ ref('int_examples_with_features') }} as examples_with_features
    inner join split_days
        on examples_with_features.event_date = split_days.event_date

)

select * from test_examples
