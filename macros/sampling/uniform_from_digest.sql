{% macro uniform_from_digest(digest_expression, slice_index) %}
    {#- A uniform number in [0, 1) from six hex digits (24 bits) of an md5
        digest: slice 0 is hex digits 1-6, slice 1 digits 7-12, and so on
        (five slices fit in one digest). Same value on every engine. -#}
    {%- if slice_index < 0 or slice_index > 4 -%}
        {{ exceptions.raise_compiler_error(
            "uniform_from_digest: slice_index must be 0..4, got " ~ slice_index) }}
    {%- endif -%}
    {{- return(adapter.dispatch('uniform_from_digest', 'feed_training_data')(
        digest_expression, slice_index)) -}}
{%- endmacro %}

{% macro default__uniform_from_digest(digest_expression, slice_index) %}
    {#- From the hex digest. In double on every engine: a decimal literal
        would make Spark divide in decimals and round the draw. -#}
    (cast({{ hex_to_int('substr(' ~ digest_expression ~ ', ' ~ (1 + 6 * slice_index) ~ ', 6)') }}
    as double) / cast(16777216 as double))
{%- endmacro %}

{% macro duckdb__uniform_from_digest(digest_expression, slice_index) %}
    {#- From md5_number: hex digits 6s+1 .. 6s+6 are digest bytes 3s, 3s+1
        and 3s+2 (the first byte most significant), read with shifts and
        masks instead of text. -#}
    {%- set first_bit = 24 * slice_index -%}
    (cast(
        (((({{ digest_expression }}) >> {{ first_bit }}) & 255) << 16)
        | (((({{ digest_expression }}) >> {{ first_bit + 8 }}) & 255) << 8)
        | ((({{ digest_expression }}) >> {{ first_bit + 16 }}) & 255)
        as double) / cast(16777216 as double))
{%- endmacro %}
