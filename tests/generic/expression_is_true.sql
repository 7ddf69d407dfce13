{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
{#- Every row satisfies `expression` (applied to `column_name` when the test
    sits on a column). Returns the rows that do not. Of a daily table, the rows
    the run rebuilt. -#}
select *
from {{ rebuilt_rows(model) }} as rebuilt
where
    not ({{ column_name ~ ' ' if column_name }}{{ expression }})
    {% if where_clause %}and ({{ where_clause }}){% endif %}
{% endtest %}
