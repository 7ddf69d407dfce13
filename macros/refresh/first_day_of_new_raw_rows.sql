{% macro first_day_of_new_raw_rows(since) %}
    {#- The earliest UTC day among the rows of raw files that are not in the
        file ledger yet or that it recorded after `since` (a run that did not
        complete), over both logs; none when there are none. -#}
    {%- set ledger = raw_file_ledger() -%}
    {%- set days = [] -%}
    {%- for source_name, timestamp_column in [
        ('impressions', 'impression_ts'), ('engagements', 'engagement_ts')] -%}
        {%- set query -%}
            select min(cast({{ cast_utc_timestamp(timestamp_column) }} as date))
            from {{ raw_source(
                source_name, which='new',
                window={'mode': 'scheduled', 'start': none, 'end': none},
            ) }}
            {%- if ledger is not none %}
            union all
            select min(min_row_date)
            from {{ ledger }}
            where
                source_name = '{{ source_name }}'
                and quarantine_reason is null
                and first_seen_ts > cast('{{ since }}' as {{ dbt.type_timestamp() }})
            {%- endif %}
        {%- endset -%}
        {%- for row in run_query(query).rows if row[0] is not none -%}
            {%- do days.append(
                modules.datetime.date.fromisoformat(row[0]) if row[0] is string
                else row[0]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(days | min if days else none) }}
{% endmacro %}
