{% macro last_completed_run() %}
    {#- The last invocation that completed every daily model, from the run
        ledger: a dict with watermark_ts and completed_ts (datetimes), or none. -#}
    {%- set ledger = refresh_state('runs') -%}
    {%- if load_relation(ledger) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        'select watermark_ts, completed_ts from ' ~ ledger
        ~ ' where watermark_ts is not null order by completed_ts desc limit 1') -%}
    {%- if result.rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set values = [] -%}
    {%- for value in result.rows[0] -%}
        {%- do values.append(
            modules.datetime.datetime.fromisoformat(value) if value is string else value) -%}
    {%- endfor -%}
    {{ return({'watermark_ts': values[0], 'completed_ts': values[1]}) }}
{% endmacro %}
