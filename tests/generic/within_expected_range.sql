{% test within_expected_range(model) %}
{#- The monitored days (in a refresh, the window's) whose value lies outside
    the range their baseline expects (daily_monitors: the same weekday of the
    previous weeks, or before enough weeks the previous days):
    each with its day, quantity, value and range, which the run's log names
    (meta log_findings). Severity monitor_severity; nothing when
    monitors_enabled is false. -#}
{%- set settings = monitor_settings() -%}
{{ config(severity=settings.severity, meta={'log_findings': true}) }}

select
    monitored_date,
    metric,
    subject,
    monitored_value,
    expected_low,
    expected_high
from {{ model }}
where
    is_outside_range
    and {{ 'true' if settings.enabled else 'false' }}
    and {{ in_refresh_window('monitored_date') }}

{% endtest %}
