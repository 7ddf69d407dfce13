{% macro last_completed_watermark() %}
    {#- The watermark recorded by the last invocation that completed every
        daily model (none when there is none). -#}
    {%- set ledger = refresh_runs_relation() -%}
    {%- if adapter.get_relation(
        database=ledger.database, schema=ledger.schema, identifier=ledger.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query('select max(watermark_ts) from ' ~ ledger) -%}
    {%- set value = result.columns[0].values()[0] if result and result.rows | length else none -%}
    {%- if value is string -%}
        {%- set value = modules.datetime.datetime.fromisoformat(value) -%}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
