{% test unique_combination(model, columns, reopened_by=none) %}
{#- The combination of `columns` is a key: no two rows share it, and none of
    the columns is null. Returns the offending combinations. Of a daily table,
    the rows the run rebuilt (the keys hold the day; reopened_by, see
    rebuilt_rows). -#}
with

keys as (

    select
        {{ columns | join(',\n        ') }},
        count(*) as rows_with_key
    from {{ rebuilt_rows(model, reopened_by) }} as rebuilt
    group by {{ columns | join(', ') }}

)

select *
from keys
where
    rows_with_key > 1
    {% for column in columns -%}
        or {{ column }} is null
    {% endfor %}

{% endtest %}
