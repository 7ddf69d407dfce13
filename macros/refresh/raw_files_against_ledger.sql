{% macro raw_files_against_ledger(source_name, ledger=none) %}
    {#- Every raw file of one log, as a dict: source_file, status and, for a
        file the ledger holds, its recorded and current size and
        modification time and first day. Status:
          new:     not in the ledger (or quarantined or recorded as removed
                   there, and delivered again since);
          changed: taken in, and its size, or its modification time and its
                   Parquet footer, differ now (a file only copied or touched,
                   same size and same footer, is the same file);
          same:    as the ledger records it. -#}
    {%- set query -%}
        select
            {{ relative_source_file('listed.file') }} as source_file,
            ledger.source_file is not null as in_ledger,
            ledger.quarantine_reason is not null as quarantined,
            cast(ledger.file_size as {{ dbt.type_string() }}) as recorded_size,
            cast(listed.file_size as {{ dbt.type_string() }}) as current_size,
            cast(ledger.file_modified_ts as {{ dbt.type_string() }}) as recorded_modified_ts,
            cast(listed.file_modified_ts as {{ dbt.type_string() }}) as current_modified_ts,
            ledger.footer_fingerprint,
            cast(ledger.min_row_date as {{ dbt.type_string() }}) as first_day
        from ({{ list_raw_files(source_name) }}) as listed
        {%- if ledger is not none %}
        left join ({{ current_raw_files(ledger) }}) as ledger
            on
                ledger.source_name = '{{ source_name }}'
                and ledger.source_file = {{ relative_source_file('listed.file') }}
        {%- else %}
        left join (
            select
                cast(null as {{ dbt.type_string() }}) as source_file,
                cast(null as {{ dbt.type_string() }}) as quarantine_reason,
                cast(null as bigint) as file_size,
                cast(null as {{ dbt.type_timestamp() }}) as file_modified_ts,
                cast(null as {{ dbt.type_string() }}) as footer_fingerprint,
                cast(null as date) as min_row_date
        ) as ledger on false
        {%- endif %}
        order by 1
    {%- endset -%}
    {%- set files = [] -%}
    {%- set touched = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- set file = {
            'source_file': row[0], 'recorded_size': row[3], 'current_size': row[4],
            'recorded_modified_ts': row[5], 'current_modified_ts': row[6],
            'footer_fingerprint': row[7], 'first_day': row[8]} -%}
        {%- if not row[1] or row[3] == '-1' -%}
            {%- do file.update({'status': 'new'}) -%}
        {%- elif row[3] == row[4] and row[5] == row[6] -%}
            {%- do file.update({'status': 'same'}) -%}
        {%- elif row[2] -%}
            {%- do file.update({'status': 'new'}) -%}
        {%- elif row[3] == row[4] and row[7] is not none -%}
            {%- do touched.append(file) -%}
            {%- do file.update({'status': 'changed'}) -%}
        {%- else -%}
            {%- do file.update({'status': 'changed'}) -%}
        {%- endif -%}
        {%- do files.append(file) -%}
    {%- endfor -%}
    {%- if touched -%}
        {%- set fingerprints = raw_file_fingerprints(touched | map(attribute='source_file') | list) -%}
        {%- for file in touched
            if fingerprints.get(file.source_file) == file.footer_fingerprint -%}
            {%- do file.update({'status': 'same'}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(files) }}
{% endmacro %}
