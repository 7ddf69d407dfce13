{% macro task_label_columns(action_column) %}
    {#- One `label_<task>` aggregate per task: 1 when any of the grouped
        engagements has an action of that task. For a group-by over
        attributed engagements. -#}
    {%- for task in get_tasks() %}
    max(
        case when {{ action_column }} in ('{{ task.actions | join("', '") }}') then 1 else 0 end
    ) as label_{{ task.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
