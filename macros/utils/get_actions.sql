{% macro get_actions() %}
    {#- The `actions` var, validated: the canonical action vocabulary, a
        non-empty list of distinct names usable in SQL and column names. An
        engagement whose folded name maps (through the action_aliases seed, or
        as itself) to none of them is rejected as unknown_action. -#}
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
