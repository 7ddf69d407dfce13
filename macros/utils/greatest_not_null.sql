{% macro greatest_not_null(first, second) %}
    {#- The larger of two values, ignoring a null one (null when both are). -#}
    case
        when {{ first }} is null then {{ second }}
        when {{ second }} is null then {{ first }}
        when {{ first }} >= {{ second }} then {{ first }}
        else {{ second }}
    end
{%- endmacro %}
