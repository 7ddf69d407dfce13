{% macro cast_id(column) %}
    {#- A raw ID cast to the type of the `id_type` var (id_data_type), null
        when it does not cast. For bigint, only an optionally signed run of
        digits (spaces around allowed) casts: '4.2', '1e3' or '0x10' are
        invalid IDs, not silently 4, 1000, 16. A column the file already
        stores as an integer is taken as it is: the engine folds the type
        test to a constant, so the text checks cost nothing on well-typed
        logs. -#}
    {%- set id_type = id_data_type() -%}
    {%- if id_type == 'bigint' -%}
        case
            when {{ is_integer_typed(column) }} then try_cast({{ column }} as {{ id_type }})
            else try_cast(
                case
                    when {{ regex_full_match(dbt.cast(column, dbt.type_string()), '\\s*[+-]?[0-9]+\\s*') }}
                        then trim({{ dbt.cast(column, dbt.type_string()) }})
                end as {{ id_type }}
            )
        end
    {%- else -%}
        {{ dbt.cast(column, id_type) }}
    {%- endif -%}
{%- endmacro %}
