{% macro split_boundaries(last_mature_date) %}
    {#- The select-list expressions train_end_date, validation_start_date,
        validation_end_date, test_start_date and test_end_date, from the split
        vars and the last mature day (an expression). Relative mode by default,
        explicit mode when validation_start_date and test_start_date are set. -#}
    {%- set gap = var('split_gap_days') | int -%}
    {%- set validation_start = var('validation_start_date') -%}
    {%- set test_start = var('test_start_date') -%}
    {%- set test_end = var('test_end_date') -%}
    {%- for name in ['validation_start_date', 'test_start_date', 'test_end_date'] -%}
        {%- set value = var(name) -%}
        {%- if value is not none
            and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ " must be a date written YYYY-MM-DD, got " ~ (value | string | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
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
    {%- if validation_start is none -%}
        {%- set validation_days = var('validation_days') | int -%}
        {%- set test_days = var('test_days') | int -%}
        {%- if validation_days < 1 or test_days < 1 -%}
            {{ exceptions.raise_compiler_error(
                "vars validation_days and test_days must be >= 1, got "
                ~ validation_days ~ " and " ~ test_days) }}
        {%- endif -%}
        {%- set test_start_sql = add_days(last_mature_date, 1 - test_days) -%}
        {%- set validation_start_sql = add_days(
            last_mature_date, 1 - test_days - gap - validation_days) -%}
        {%- set test_end_sql = last_mature_date -%}
    {%- else -%}
        {%- set first = modules.datetime.date.fromisoformat(validation_start | string) -%}
        {%- set second = modules.datetime.date.fromisoformat(test_start | string) -%}
        {%- if (second - first).days <= gap -%}
            {{ exceptions.raise_compiler_error(
                "test_start_date (" ~ second ~ ") must be more than split_gap_days ("
                ~ gap ~ ") after validation_start_date (" ~ first ~ ")") }}
        {%- endif -%}
        {%- set test_start_sql = "cast('" ~ second ~ "' as date)" -%}
        {%- set validation_start_sql = "cast('" ~ first ~ "' as date)" -%}
        {%- if test_end -%}
            {%- set test_end_sql = "cast('" ~ test_end ~ "' as date)" -%}
        {%- else -%}
            {%- set test_end_sql = last_mature_date -%}
        {%- endif -%}
    {%- endif -%}
    cast({{ add_days(validation_start_sql, -1 - gap) }} as date) as train_end_date,
    cast({{ validation_start_sql }} as date) as validation_start_date,
    cast({{ add_days(test_start_sql, -1 - gap) }} as date) as validation_end_date,
    cast({{ test_start_sql }} as date) as test_start_date,
    cast({{ test_end_sql }} as date) as test_end_date
{%- endmacro %}
