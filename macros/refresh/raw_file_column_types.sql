{% macro raw_file_column_types(files) %}
    {{- return(adapter.dispatch('raw_file_column_types', 'feed_training_data')(files)) -}}
{% endmacro %}

{% macro default__raw_file_column_types(files) %}
    {#- Spark: each file's schema from its footer (one DESCRIBE per file), as
        {source_file: {lower-case column name: type}}. -#}
    {%- set types = {} -%}
    {%- for file in files -%}
        {%- set columns = {} -%}
        {%- set described = run_query(
            'describe query select * from parquet.`' ~ absolute_raw_path() ~ '/' ~ file ~ '`') -%}
        {%- for row in described.rows -%}
            {%- do columns.update({row[0] | lower: row[1] | lower}) -%}
        {%- endfor -%}
        {%- do types.update({file: columns}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{% macro duckdb__raw_file_column_types(files) %}
    {#- DuckDB: every file's schema in one query over the Parquet footers. -#}
    {%- set file_list = raw_file_list_literal(files) -%}
    {%- set query -%}
        select
            {{ relative_source_file('file_name') }} as source_file,
            lower(name) as column_name,
            lower(duckdb_type) as column_type
        from parquet_schema({{ file_list }})
        where duckdb_type is not null
    {%- endset -%}
    {%- set types = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- if row[0] not in types -%}
            {%- do types.update({row[0]: {}}) -%}
        {%- endif -%}
        {%- do types[row[0]].update({row[1]: row[2]}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}
