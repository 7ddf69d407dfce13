{% macro of_row_task(task_column, column_prefix) %}
    {#- The value of `<column_prefix>_<task>` for the row's task: one column
        of a set that has one per task (int_example_features). -#}
    case {{ task_column }}
        {%- for task in get_tasks() %}
            when '{{ task.name }}' then {{ column_prefix }}_{{ task.name }}
        {%- endfor %}
    end
{%- endmacro %}
