{#- The draw of the downsampling: one md5 per example and five tasks, six hex
    digits per task, the same number on every engine; and the per-user cap,
    which ranks a user's drawn rows by it. -#}

{% macro per_user_daily_cap() %}
    {#- The per_user_daily_cap var, checked: null (no cap) or a whole number >= 1. -#}
    {%- set cap = var('per_user_daily_cap') -%}
    {%- if cap is not none and (cap is not number or cap is boolean or cap != cap | int
        or cap < 1) -%}
        {{ exceptions.raise_compiler_error(
            "var per_user_daily_cap must be null or a whole number >= 1, got " ~ cap) }}
    {%- endif -%}
    {{ return(none if cap is none else cap | int) }}
{% endmacro %}

{% macro example_digest(digest_group, relation_name=none) %}
    {%- set prefix = (relation_name ~ '.') if relation_name else '' -%}
    {%- set key = dbt.concat([
        sql_string((var('sampling_salt') | string) ~ '|' ~ digest_group ~ '|'),
        dbt.cast(prefix ~ 'user_id', dbt.type_string()),
        "'|'",
        dbt.cast(prefix ~ 'tweet_id', dbt.type_string()),
        "'|'",
        dbt.cast(prefix ~ 'event_date', dbt.type_string()),
    ]) -%}
    {{- return(adapter.dispatch('example_digest', 'feed_training_data')(key)) -}}
{%- endmacro %}

{% macro default__example_digest(key) %}
    {{- unsupported_adapter('example_digest') -}}
{% endmacro %}

{% macro spark__example_digest(key) %}
    md5({{ key }})
{%- endmacro %}

{% macro duckdb__example_digest(key) %}
    {#- The same 16 bytes as a 128-bit integer: no 32-character string per example. -#}
    md5_number({{ key }})
{%- endmacro %}

{% macro uniform_from_digest(digest_expression, slice_index) %}
    {%- if slice_index < 0 or slice_index > 4 -%}
        {{ exceptions.raise_compiler_error(
            "uniform_from_digest: slice_index must be 0..4, got " ~ slice_index) }}
    {%- endif -%}
    {{- return(adapter.dispatch('uniform_from_digest', 'feed_training_data')(
        digest_expression, slice_index)) -}}
{%- endmacro %}

{% macro default__uniform_from_digest(digest_expression, slice_index) %}
    {{- unsupported_adapter('uniform_from_digest') -}}
{% endmacro %}

{% macro spark__uniform_from_digest(digest_expression, slice_index) %}
    {#- In double: a decimal literal would make Spark divide in decimals. -#}
    (cast(cast(
        conv(substr({{ digest_expression }}, {{ 1 + 6 * slice_index }}, 6), 16, 10) as bigint
    ) as double) / cast(16777216 as double))
{%- endmacro %}

{% macro duckdb__uniform_from_digest(digest_expression, slice_index) %}
    {#- Hex digits 6s+1 .. 6s+6 are digest bytes 3s, 3s+1 and 3s+2 of
        md5_number, the first byte in the lowest bits. -#}
    {%- set first_bit = 24 * slice_index -%}
    (cast(
        (((({{ digest_expression }}) >> {{ first_bit }}) & 255) << 16)
        | (((({{ digest_expression }}) >> {{ first_bit + 8 }}) & 255) << 8)
        | ((({{ digest_expression }}) >> {{ first_bit + 16 }}) & 255)
        as double) / cast(16777216 as double))
{%- endmacro %}
