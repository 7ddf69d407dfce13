{% macro removed_raw_files(source_name, ledger) %}
    {#- Files of one log the ledger holds as taken in (not quarantined, not
        recorded as removed) that the folder no longer has, as dicts like
        raw_files_against_ledger's with no current size. -#}
    {%- set query -%}
        select
            ledger.source_file,
            cast(ledger.file_size as {{ dbt.type_string() }}),
            cast(ledger.file_modified_ts as {{ dbt.type_string() }}),
            cast(ledger.min_row_date as {{ dbt.type_string() }})
        from ({{ current_raw_files(ledger) }}) as ledger
        where
            ledger.source_name = '{{ source_name }}'
            and ledger.file_size >= 0
            and ledger.quarantine_reason is null
            and ledger.source_file not in (
                select {{ relative_source_file('listed.file') }}
                from ({{ list_raw_files(source_name) }}) as listed
            )
        order by 1
    {%- endset -%}
    {%- set files = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do files.append({
            'source_file': row[0], 'status': 'removed', 'recorded_size': row[1],
            'recorded_modified_ts': row[2], 'current_size': none,
            'current_modified_ts': none, 'first_day': row[3]}) -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}
