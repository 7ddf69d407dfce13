{% test relationships_where(
    model, column_name, to, field, from_condition='1 = 1', to_condition='1 = 1'
) %}
{#- dbt's relationships test with a filter on either side (dbt_utils'
    relationships_where, whose package hub is out of reach here): every
    non-null `column_name` of the rows of `model` meeting `from_condition`
    is a `field` of the rows of `to` meeting `to_condition`. Returns the
    values that are not. -#}
with

child as (

    select {{ column_name }} as from_field
    from {{ model }}
    where
        {{ column_name }} is not null
        and ({{ from_condition }})

),

parent as (

    select {{ field }} as to_field
    from {{ to }}
    where {{ to_condition }}

),

values_without_parent as (

    select child.from_field
    from child
    left join parent
        on child.from_field = parent.to_field
    where parent.to_field is null

)

select * from values_without_parent

{% endtest %}
