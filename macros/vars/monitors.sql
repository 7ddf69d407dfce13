{#- The vars of the daily monitors: read and checked here. -#}

{% macro monitor_settings() %}
    {%- set settings = {'enabled': var('monitors_enabled'), 'weeks': var('monitor_weeks'),
        'recent_days': var('monitor_recent_days'), 'threshold': var('monitor_threshold'),
        'severity': var('monitor_severity'), 'min_reference_days': 3, 'min_recent_days': 7} -%}
    {%- set checks = [
        ('monitors_enabled', settings.enabled is boolean, 'true or false'),
        ('monitor_weeks', settings.weeks is integer and settings.weeks is not boolean
            and settings.weeks >= 3, 'a whole number >= 3'),
        ('monitor_recent_days', settings.recent_days is integer
            and settings.recent_days is not boolean and settings.recent_days >= 7,
            'a whole number >= 7'),
        ('monitor_threshold', settings.threshold is number and settings.threshold is not boolean
            and settings.threshold > 0, 'a number > 0'),
        ('monitor_severity', settings.severity in ['warn', 'error'], 'warn or error'),
    ] -%}
    {%- for name, ok, expected in checks if not ok -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be " ~ expected ~ ", got "
            ~ (var(name) | tojson)) }}
    {%- endfor -%}
    {{ return(settings) }}
{% endmacro %}
