{#- The input contract of a raw file, checked on its column types from the
    Parquet footer without reading a row; the rows of a file set aside. -#}

{% macro raw_file_row_counts(source_name, files) %}
    {%- set counts = {} -%}
    {%- set query = 'select source_file, count(*) from '
        ~ raw_rows_of(source_name, files) ~ ' group by 1' -%}
    {%- for row in (run_query(query).rows if files else []) -%}
        {%- do counts.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{ return(counts) }}
{% endmacro %}

{% macro raw_file_column_types(files) %}
    {{- return(adapter.dispatch('raw_file_column_types', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_column_types(files) %}
    {{- unsupported_adapter('raw_file_column_types') -}}
{% endmacro %}

{% macro spark__raw_file_column_types(files) %}
    {%- set types = {} -%}
    {%- for file in files -%}
        {%- set columns = {} -%}
        {%- for row in run_query('describe query select * from parquet.`'
            ~ absolute_raw_path() ~ '/' ~ file ~ '`').rows -%}
            {%- do columns.update({row[0] | lower: row[1] | lower}) -%}
        {%- endfor -%}
        {%- do types.update({file: columns}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{% macro duckdb__raw_file_column_types(files) %}
    {%- set query = 'select ' ~ relative_source_file('file_name') ~ ', lower(name), lower(duckdb_type)'
        ~ ' from parquet_schema(' ~ raw_file_list_literal(files) ~ ') where duckdb_type is not null' -%}
    {%- set types = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- do types.setdefault(row[0], {}).update({row[1]: row[2]}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{% macro raw_contract() %}
    {#- Each column of the input contract: the types that can hold it. -#}
    {%- set id = {'types': ['tinyint', 'smallint', 'integer', 'int', 'bigint', 'utinyint',
        'usmallint', 'uinteger', 'varchar', 'string'], 'expected': 'an integer or a string'} -%}
    {#- Every unit, with or without a time zone: each holds a UTC instant. -#}
    {%- set timestamp = {'types': ['timestamp', 'timestamp with time zone', 'timestamp_ns',
        'timestamptz_ns', 'timestamp_ms', 'timestamp_s', 'timestamp_ntz', 'varchar', 'string'],
        'expected': 'a timestamp or an ISO 8601 string'} -%}
    {%- set contract = {'user_id': id, 'tweet_id': id, 'impression_ts': timestamp,
        'action': {'types': ['varchar', 'string'], 'expected': 'a string'},
        'engagement_ts': timestamp} -%}
    {#- The impressions' context columns (var impression_context_columns). -#}
    {%- set integers = id.types[:-2] -%}
    {%- set context_types = {
        'integer': {'types': integers, 'expected': 'an integer'},
        'bigint': {'types': integers, 'expected': 'an integer'},
        'double': {'types': integers + ['float', 'double', 'real'], 'expected': 'a number'},
        'boolean': {'types': ['boolean'], 'expected': 'a boolean'},
        'string': {'types': ['varchar', 'string'], 'expected': 'a string'}} -%}
    {%- for column in impression_context_columns() -%}
        {%- do contract.update({column.name: context_types[column.type]}) -%}
    {%- endfor -%}
    {{ return(contract) }}
{% endmacro %}

{% macro check_raw_tables() %}
    {#- Logs held in tables: each must exist with the contract's columns and
        the load-time column, typed to hold them; else the run stops naming
        the table, the column, the type found and the type expected. -#}
    {%- set contract = raw_contract() -%}
    {%- set loaded_at = raw_loaded_at_column() -%}
    {%- set problems = [] -%}
    {%- for source_name in ['impressions', 'engagements'] -%}
        {%- set table = source('feed_tables', source_name) -%}
        {%- set relation = adapter.get_relation(table.database, table.schema, table.identifier) -%}
        {%- if relation is none -%}
            {%- do problems.append('  ' ~ table ~ ': no such table (var raw_input tables)') -%}
        {%- else -%}
            {%- set types = {} -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do types.update({column.name | lower: column.dtype | lower}) -%}
            {%- endfor -%}
            {%- set wanted = {} -%}
            {%- for name in raw_columns(source_name) -%}
                {%- do wanted.update({name: contract[name]}) -%}
            {%- endfor -%}
            {%- do wanted.update({loaded_at: {'types': ['timestamp', 'timestamp with time zone',
                'timestamp_ntz'], 'expected': 'a timestamp (the load time)'}}) -%}
            {%- for name, want in wanted.items() -%}
                {%- set found = types.get(name) -%}
                {%- if found is none -%}
                    {%- do problems.append('  ' ~ table ~ ': column ' ~ name ~ ' is missing (expected '
                        ~ want.expected ~ ')') -%}
                {%- elif found not in want.types -%}
                    {%- do problems.append('  ' ~ table ~ ': column ' ~ name ~ ' is ' ~ found
                        ~ ', expected ' ~ want.expected) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("raw tables that break the input contract:\n"
            ~ (problems | join('\n')) ~ "\nA table's columns and types are the files' contract "
            ~ "(docs/raw-input.md) plus the load-time column (var raw_loaded_at_column).") }}
    {%- endif -%}
{% endmacro %}

{% macro raw_schema_problems(source_name, files) %}
    {%- if not execute or files | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set contract = raw_contract() -%}
    {%- set found_types = raw_file_column_types(files) -%}
    {%- set problems = [] -%}
    {%- for file in files -%}
        {%- set types = found_types.get(file, {}) -%}
        {%- for column in raw_columns(source_name) -%}
            {%- set found, wanted = types.get(column), contract[column] -%}
            {%- if found is none or (found | lower) not in wanted.types -%}
                {%- do problems.append({
                    'source_file': file, 'column': column, 'found': found,
                    'problem': ('required column ' ~ column ~ ' is missing (expected '
                        ~ wanted.expected ~ ')') if found is none
                        else ('column ' ~ column ~ ' is ' ~ found ~ ', expected ' ~ wanted.expected)}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}
