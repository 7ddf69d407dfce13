{% test not_null_columns(model, columns) %}
{#- The rows where any of `columns` is null: what a `not_null` test per column
    checks, in one query (one statement per model on a warehouse). Of a daily
    table, the rows the run rebuilt. -#}
select *
from {{ rebuilt_rows(model) }} as rebuilt
where {{ columns | join(' is null\n    or ') }} is null
{% endtest %}
