{% macro raw_schema_problems(source_name, files) %}
    {#- The contract breaches of raw files of one log (paths under raw_path),
        from their Parquet schemas, without reading rows: one dict per file
        and column that is missing or of a type that cannot hold it, with
        source_file, column, found (the type, or none when missing) and
        expected. -#}
    {%- if not execute or files | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found_types = raw_file_column_types(files) -%}
    {%- set problems = [] -%}
    {%- for file in files -%}
        {%- set types = found_types.get(file, {}) -%}
        {%- for column, contract in raw_contract_columns(source_name).items() -%}
            {%- set found = types.get(column) -%}
            {%- if found is none or (found | lower) not in contract.types -%}
                {%- do problems.append({
                    'source_file': file, 'column': column,
                    'found': found, 'expected': contract.expected}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}
