{#- The vars of the sample and the splits: read and checked here. -#}

{% macro sampling_settings() %}
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
    {{ return({'negatives_per_positive': ratio,
        'daily_cap': none if cap is none else cap | float}) }}
{% endmacro %}

{% macro stream_sampling_rate() %}
    {#- The rate the continuous-training stream draws each example at, for
        every task, before its label is known; 0 turns the stream off. -#}
    {%- set rate = var('stream_sampling_rate') | float -%}
    {%- if rate < 0 or rate > 1 -%}
        {{ exceptions.raise_compiler_error(
            "var stream_sampling_rate must be between 0 (no stream) and 1, got "
            ~ var('stream_sampling_rate')) }}
    {%- endif -%}
    {{ return(rate) }}
{% endmacro %}

{% macro split_settings() %}
    {%- set gap = var('split_gap_days') | int -%}
    {%- set validation_start = date_var('validation_start_date') -%}
    {%- set test_start = date_var('test_start_date') -%}
    {%- set test_end = date_var('test_end_date') -%}
    {%- if test_end is not none and validation_start is none -%}
        {{ exceptions.raise_compiler_error(
            "var test_end_date ends an explicit split: set validation_start_date and "
            ~ "test_start_date too, or leave it unset") }}
    {%- endif -%}
    {%- if gap < 0 -%}
        {{ exceptions.raise_compiler_error("var split_gap_days must be >= 0, got " ~ gap) }}
    {%- endif -%}
    {%- if (validation_start is none) != (test_start is none) -%}
        {{ exceptions.raise_compiler_error(
            "set both validation_start_date and test_start_date (explicit split) "
            ~ "or neither (relative split); got validation_start_date="
            ~ validation_start ~ ", test_start_date=" ~ test_start) }}
    {%- endif -%}
    {%- set settings = {'gap': gap, 'validation_start': validation_start,
        'test_start': test_start, 'test_end': test_end} -%}
    {%- if validation_start is none -%}
        {%- set validation_days = var('validation_days') | int -%}
        {%- set test_days = var('test_days') | int -%}
        {%- if validation_days < 1 or test_days < 1 -%}
            {{ exceptions.raise_compiler_error(
                "vars validation_days and test_days must be >= 1, got "
                ~ validation_days ~ " and " ~ test_days) }}
        {%- endif -%}
        {%- do settings.update({'validation_days': validation_days, 'test_days': test_days}) -%}
    {%- else -%}
        {%- set first = modules.datetime.date.fromisoformat(validation_start) -%}
        {%- set second = modules.datetime.date.fromisoformat(test_start) -%}
        {%- if (second - first).days <= gap -%}
            {{ exceptions.raise_compiler_error(
                "test_start_date (" ~ second ~ ") must be more than split_gap_days ("
                ~ gap ~ ") after validation_start_date (" ~ first ~ ")") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}
