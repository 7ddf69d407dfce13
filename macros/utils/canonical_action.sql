{% macro canonical_action(folded_action, alias_action) %}
    {#- The canonical action of a folded raw name, given the action the
        action_aliases seed maps it to (null when the seed has no row): the
        seed's action, else the name itself, when it is in the `actions` var;
        null otherwise (the row is then an unknown_action). -#}
    {%- set actions = [] -%}
    {%- for action in get_actions() -%}
        {%- do actions.append(sql_string(action)) -%}
    {%- endfor -%}
    case
        when coalesce({{ alias_action }}, {{ folded_action }}) in ({{ actions | join(', ') }})
            then coalesce({{ alias_action }}, {{ folded_action }})
    end
{%- endmacro %}
