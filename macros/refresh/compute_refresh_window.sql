{% macro compute_refresh_window() %}
    {#- Decide the refresh window:
        full:      --full-refresh, or no completed run recorded yet;
        explicit:  var refresh_start_date (a backfill, optional refresh_end_date),
                   or refresh_end_date alone: the run of that logical date, the
                   days a late row delivered with it may still touch; an end
                   date is extended by the features' look-back (28 days), the
                   days whose features read the rebuilt ones;
        scheduled: from the day before the earliest day that raw files seen
                   since the last completed run bring (what can have changed:
                   new days, and the open label windows before them), but not
                   before the re-open horizon: date(last watermark - horizon)
                   less the label window's days. Rows of earlier days in new
                   files are too late (see stg_feed__rejected_rows). -#}
    {%- set start = var('refresh_start_date', none) -%}
    {%- set end = var('refresh_end_date', none) -%}
    {%- for name, value in [('refresh_start_date', start), ('refresh_end_date', end)]
        if value is not none -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ " must be a date written YYYY-MM-DD, got "
                ~ (value | string | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if start is not none and end is not none and (start | string) > (end | string) -%}
        {{ exceptions.raise_compiler_error(
            "refresh_start_date (" ~ start ~ ") is after refresh_end_date (" ~ end ~ ")") }}
    {%- endif -%}
    {%- set timedelta = modules.datetime.timedelta -%}
    {%- set lookback_days = (label_window_seconds() / 86400.0) | round(0, 'ceil') | int -%}
    {%- if not execute -%}
        {{ return({'mode': 'parse', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- if should_full_refresh() -%}
        {{ return({'mode': 'full', 'start': none, 'end': none}) }}
    {%- endif -%}
    {#- A window with an end also rebuilds the days whose features read its
        days: up to feature_lookback_days() after the end. -#}
    {%- set feature_days = feature_lookback_days() -%}
    {%- if start is not none -%}
        {%- set last_day = none if end is none else (
            modules.datetime.date.fromisoformat(end | string)
            + timedelta(days=feature_days)).isoformat() -%}
        {{ return({'mode': 'explicit', 'start': start | string, 'end': last_day}) }}
    {%- endif -%}
    {%- if end is not none -%}
        {%- set reopen_days = (
            (reopen_horizon_seconds() + label_window_seconds()) / 86400.0
        ) | round(0, 'ceil') | int -%}
        {%- set last_day = modules.datetime.date.fromisoformat(end | string) -%}
        {%- set first_day = last_day + timedelta(days=1 - reopen_days) -%}
        {{ return({'mode': 'explicit', 'start': first_day.isoformat(),
            'end': (last_day + timedelta(days=feature_days)).isoformat()}) }}
    {%- endif -%}
    {%- set last_run = last_completed_run() -%}
    {%- if last_run is none -%}
        {{ return({'mode': 'full', 'start': none, 'end': none}) }}
    {%- endif -%}
    {%- set horizon_day = (last_run.watermark_ts - timedelta(seconds=reopen_horizon_seconds())).date() -%}
    {%- set first_new_day = first_day_of_new_raw_rows(last_run.completed_ts) -%}
    {%- if first_new_day is none -%}
        {#- Nothing new: redo the last day (cheap, and changes nothing). -#}
        {%- set first_new_day = last_run.watermark_ts.date() -%}
    {%- endif -%}
    {%- set first_day = [first_new_day, horizon_day] | max - timedelta(days=lookback_days) -%}
    {{ return({'mode': 'scheduled', 'start': first_day.isoformat(), 'end': none}) }}
{% endmacro %}
