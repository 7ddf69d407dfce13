{% macro refresh_window() %}
    {#- The days this invocation (re)processes, as a dict:
          mode   'full' | 'scheduled' | 'explicit' | 'parse'
          start  first day (YYYY-MM-DD) or none for everything
          end    last day or none for no end
        full:      --full-refresh, or no completed run recorded yet;
        explicit:  var refresh_start_date (a backfill, optional refresh_end_date),
                   or refresh_end_date alone (the scheduled run of that day);
        scheduled: the days a run after the last completed one can change:
                   from date(last watermark - reopen horizon - label window) on.
        Read once per model from the run ledger, which only on-run-end writes,
        so every model of one invocation sees the same window. -#}
    {%- set start = var('refresh_start_date', none) -%}
    {%- set end = var('refresh_end_date', none) -%}
    {%- for value in [start, end] if value is not none -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
            {{ exceptions.raise_compiler_error(
                "refresh_start_date / refresh_end_date must be written YYYY-MM-DD, got "
                ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set reopen_days = (
        (reopen_horizon_seconds() + label_window_seconds()) / 86400.0
    ) | round(0, 'ceil') | int -%}
    {%- if start is not none and end is not none and (start | string) > (end | string) -%}
        {{ exceptions.raise_compiler_error(
            "refresh_start_date (" ~ start ~ ") is after refresh_end_date (" ~ end ~ ")") }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return({'mode': 'parse', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- if should_full_refresh() -%}
        {{ return({'mode': 'full', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- if start is not none -%}
        {{ return({'mode': 'explicit', 'start': start | string, 'end': end}) }}
    {%- endif -%}
    {%- if end is not none -%}
        {#- The run for logical date `end`: as if the logs ended with that day. -#}
        {%- set last_day = modules.datetime.date.fromisoformat(end | string) -%}
        {%- set first_day = last_day + modules.datetime.timedelta(days=1 - reopen_days) -%}
        {{ return({'mode': 'explicit', 'start': first_day.isoformat(), 'end': end | string}) }}
    {%- endif -%}
    {%- set last_watermark = last_completed_watermark() -%}
    {%- if last_watermark is none -%}
        {{ return({'mode': 'full', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- set first_ts = last_watermark - modules.datetime.timedelta(
        seconds=reopen_horizon_seconds() + label_window_seconds()) -%}
    {{ return({'mode': 'scheduled', 'start': first_ts.date().isoformat(), 'end': none}) }}
{% endmacro %}
