{% macro class_sampling_rates(positives, negatives) %}
    {#- The two select-list expressions `positive_sampling_rate` and `negative_sampling_rate` for
        one task and day, from its positive and negative counts. Keeps every
        positive (or, under `daily_cap`, P_target of them) and about
        `negatives_per_positive` negatives per kept positive. -#}
    {%- set ratio = var('negatives_per_positive') | float -%}
    {%- set cap = var('daily_cap') -%}
    {%- if ratio < 0 -%}
        {{ exceptions.raise_compiler_error(
            "var negatives_per_positive must be >= 0, got " ~ ratio) }}
    {%- endif -%}
    {%- if cap is not none and (cap | float) <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var daily_cap must be null or a positive number, got " ~ cap) }}
    {%- endif -%}
    {%- if cap is none -%}
        {%- set target = 'cast(' ~ positives ~ ' as double)' -%}
    {%- else -%}
        {%- set target = 'least(cast(' ~ positives ~ ' as double), cast('
            ~ (cap | float) ~ ' as double) / cast(' ~ (1 + ratio) ~ ' as double))' -%}
    {%- endif -%}
    case
        when {{ positives }} = 0 then 1.0
        else {{ target }} / {{ positives }}
    end as positive_sampling_rate,
    case
        when {{ negatives }} = 0 or {{ positives }} = 0 then 0.0
        else least(
            1.0, (cast({{ ratio }} as double) * {{ target }}) / {{ negatives }}
        )
    end as negative_sampling_rate
{%- endmacro %}
