{% macro id_data_type() %}
    {#- The SQL type of user_id and tweet_id, from the `id_type` var: bigint
        (also written int64 or long), or the engine's string type for
        varchar (also written string or text). The one reading of the var's
        values: cast_id casts to it; the marts' contracts in
        _marts__models.yml mirror it (YAML cannot call a macro) and fail the
        build if they ever disagree. -#}
    {%- set id_type = var('id_type') | string | lower -%}
    {%- if id_type in ['bigint', 'int64', 'long'] -%}
        {{ return('bigint') }}
    {%- elif id_type in ['varchar', 'string', 'text'] -%}
        {{ return(dbt.type_string()) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var id_type must be bigint or varchar, got '" ~ var('id_type') ~ "'") }}
{% endmacro %}
