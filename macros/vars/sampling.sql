{#- The vars of the sample and the splits: read and checked here. -#}

{% macro sampling_settings() %}
    {#- The draw's vars, checked: the mode (balanced or fixed_rates), its
        vars, and the per-user cap that applies after either draw (its own
        macro, in macros/sampling/md5_draw.sql). -#}
    {%- set ratio = var('negatives_per_positive') | float -%}
    {%- set cap = var('daily_cap') -%}
    {%- set mode = var('sampling_mode') -%}
    {%- set fixed = var('fixed_sampling_rates') -%}
    {%- if ratio < 0 -%}
        {{ exceptions.raise_compiler_error(
            "var negatives_per_positive must be >= 0, got " ~ ratio) }}
    {%- endif -%}
    {%- if cap is not none and (cap | float) <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var daily_cap must be null or a positive number, got " ~ cap) }}
    {%- endif -%}
    {%- if mode not in ['balanced', 'fixed_rates'] -%}
        {{ exceptions.raise_compiler_error(
            "var sampling_mode must be balanced or fixed_rates, got " ~ mode) }}
    {%- endif -%}
    {%- set rates = {} -%}
    {%- if mode == 'balanced' and fixed is not none -%}
        {{ exceptions.raise_compiler_error(
            "var fixed_sampling_rates is set but sampling_mode is balanced: "
            ~ "set sampling_mode: fixed_rates to use it, or unset it") }}
    {%- elif mode == 'fixed_rates' -%}
        {%- if cap is not none -%}
            {{ exceptions.raise_compiler_error(
                "var daily_cap applies to sampling_mode balanced only: with fixed_rates "
                ~ "the rates are the configured ones; unset daily_cap") }}
        {%- endif -%}
        {%- if fixed is not mapping -%}
            {{ exceptions.raise_compiler_error(
                "var fixed_sampling_rates must map every task to "
                ~ "{positive: rate, negative: rate} when sampling_mode is fixed_rates, got "
                ~ fixed) }}
        {%- endif -%}
        {%- set task_names = get_tasks() | map(attribute='name') | list -%}
        {%- for name in fixed if name not in task_names -%}
            {{ exceptions.raise_compiler_error(
                "var fixed_sampling_rates names task '" ~ name
                ~ "', which is not in var tasks (" ~ task_names | join(', ') ~ ")") }}
        {%- endfor -%}
        {%- for name in task_names -%}
            {%- set task_rates = fixed.get(name) -%}
            {%- if task_rates is not mapping -%}
                {{ exceptions.raise_compiler_error(
                    "var fixed_sampling_rates has no {positive: rate, negative: rate} "
                    ~ "for task '" ~ name ~ "'") }}
            {%- endif -%}
            {%- for label in ['positive', 'negative'] -%}
                {%- set rate = task_rates.get(label) -%}
                {%- if rate is not number or rate is boolean or rate <= 0 or rate > 1 -%}
                    {{ exceptions.raise_compiler_error(
                        "var fixed_sampling_rates: task '" ~ name ~ "' needs a " ~ label
                        ~ " rate in (0, 1], got " ~ rate) }}
                {%- endif -%}
            {%- endfor -%}
            {%- do rates.update({name: {'positive': task_rates.positive | float,
                'negative': task_rates.negative | float}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({'negatives_per_positive': ratio,
        'daily_cap': none if cap is none else cap | float,
        'mode': mode,
        'fixed_rates': rates,
        'per_user_daily_cap': per_user_daily_cap()}) }}
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
