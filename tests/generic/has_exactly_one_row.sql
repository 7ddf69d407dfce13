{% test has_exactly_one_row(model) %}
{#- The model holds exactly one row. Returns one row (with the count) when it
    holds none or several. -#}
with

row_count as (

    select count(*) as row_count
    from {{ model }}

)

select row_count
from row_count
where row_count <> 1

{% endtest %}
