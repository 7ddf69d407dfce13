{% macro uniform_from_digest(digest_expression, slice_index) %}
    {#- A uniform number in [0, 1) from six hex digits (24 bits) of an md5 hex
        digest: slice 0 is digits 1-6, slice 1 digits 7-12, and so on (five
        slices fit in one digest). Same value on every engine. -#}
    {%- if slice_index < 0 or slice_index > 4 -%}
        {{ exceptions.raise_compiler_error(
            "uniform_from_digest: slice_index must be 0..4, got " ~ slice_index) }}
    {%- endif -%}
    {#- In double on every engine: a decimal literal would make Spark divide in
        decimals and round the draw. -#}
    (cast({{ hex_to_int('substr(' ~ digest_expression ~ ', ' ~ (1 + 6 * slice_index) ~ ', 6)') }}
    as double) / cast(16777216 as double))
{%- endmacro %}
