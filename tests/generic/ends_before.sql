{% test ends_before(model, column_name, later_model, min_gap_days=0) %}
{#- Every value of `column_name` in this model is more than `min_gap_days`
    days before every value of it in `later_model`: the two are ordered in
    time and disjoint. Returns one row when they are not. -#}
with

this_end as (

    select max({{ column_name }}) as last_value
    from {{ model }}

),

later_start as (

    select min({{ column_name }}) as first_value
    from {{ later_model }}

)

select
    this_end.last_value,
    later_start.first_value
from this_end
cross join later_start
where
    this_end.last_value is not null
    and later_start.first_value is not null
    and {{ add_days('this_end.last_value', min_gap_days | int) }}
    >= later_start.first_value
{% endtest %}
