{% macro cast_id(column) %}
    {#- A raw ID cast to the `id_type` var, null when it does not cast. For
        bigint, only an optionally signed run of digits (spaces around allowed)
        casts: '4.2', '1e3' or '0x10' are invalid IDs, not silently 4, 1000, 16.
        A column the file already stores as an integer is taken as it is: the
        engine folds the type test to a constant, so the text checks cost
        nothing on well-typed logs. -#}
    {%- set id_type = var('id_type') | lower -%}
    {%- if id_type in ['bigint', 'int64', 'long'] -%}
        case
            when {{ is_integer_typed(column) }} then try_cast({{ column }} as bigint)
            else try_cast(
                case
                    when {{ regex_full_match(dbt.cast(column, dbt.type_string()), '\\s*[+-]?[0-9]+\\s*') }}
                        then trim({{ dbt.cast(column, dbt.type_string()) }})
                end as bigint
            )
        end
    {%- elif id_type in ['varchar', 'string', 'text'] -%}
        {{ dbt.cast(column, dbt.type_string()) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var id_type must be bigint or varchar, got '" ~ var('id_type') ~ "'") }}
    {%- endif -%}
{%- endmacro %}
