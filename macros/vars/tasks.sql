{#- The action vocabulary and the tasks: read and checked here. -#}

{% macro get_actions() %}
    {%- set actions = var('actions') -%}
    {%- if actions is string or actions is mapping or actions is not iterable
        or actions | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var 'actions' must be a non-empty list of canonical action names, got: "
            ~ (actions | string | tojson)) }}
    {%- endif -%}
    {%- for action in actions -%}
        {%- if action is not string or not modules.re.match('^[a-z][a-z0-9_]*$', action) -%}
            {{ exceptions.raise_compiler_error(
                "var 'actions': '" ~ action ~ "' must match [a-z][a-z0-9_]* "
                ~ "(lower case: raw names are folded to lower case before they are mapped)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if actions | unique | list | length != actions | length -%}
        {{ exceptions.raise_compiler_error(
            "var 'actions' lists an action twice: " ~ actions | join(', ')) }}
    {%- endif -%}
    {{ return(actions | list) }}
{% endmacro %}

{% macro get_tasks() %}
    {%- set canonical = get_actions() -%}
    {%- set raw_tasks = var('tasks') -%}
    {%- if raw_tasks is not mapping or raw_tasks | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var 'tasks' must be a non-empty mapping of task name to a list of "
            ~ "actions, got: " ~ raw_tasks) }}
    {%- endif -%}
    {%- set tasks = [] -%}
    {%- for name, actions in raw_tasks.items() -%}
        {%- if not modules.re.match('^[a-z][a-z0-9_]*$', name | string) -%}
            {{ exceptions.raise_compiler_error(
                "task name '" ~ name ~ "' must match [a-z][a-z0-9_]* "
                ~ "(it becomes part of a column name)") }}
        {%- endif -%}
        {%- if actions is string or actions is not iterable or actions | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "task '" ~ name ~ "' must list at least one action, got: " ~ actions) }}
        {%- endif -%}
        {%- for action in actions if action not in canonical -%}
            {{ exceptions.raise_compiler_error(
                "task '" ~ name ~ "' names action '" ~ action
                ~ "', which is not in var 'actions' (" ~ canonical | join(', ') ~ ")") }}
        {%- endfor -%}
        {%- do tasks.append({'name': name, 'actions': actions, 'position': loop.index0}) -%}
    {%- endfor -%}
    {{ return(tasks) }}
{% endmacro %}

{% macro action_in_task(task) %}
    {{- return("action in ('" ~ task.actions | join("', '") ~ "')") -}}
{% endmacro %}
