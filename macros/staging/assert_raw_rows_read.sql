{% macro assert_raw_rows_read(base_relation, source_name, plan) %}
    {#- Only when the base table may predate this invocation: dbt retry, or a
        selection without it. -#}
    {%- set base_id = 'model.' ~ project_name ~ '.' ~ base_relation.identifier -%}
    {%- if not execute or model.resource_type != 'model'
        or flags.WHICH not in ['run', 'build', 'retry']
        or (flags.WHICH != 'retry' and base_id in selected_resources) -%}
        {{ return('') }}
    {%- endif -%}
    {%- if load_relation(base_relation) is none -%}
        {{ exceptions.raise_compiler_error(
            base_relation.identifier ~ " does not exist: build it first ("
            ~ "dbt build --select " ~ base_relation.identifier ~ "+)") }}
    {%- endif -%}
    {%- set files = planned_files(plan, source_name) -%}
    {%- set query -%}
        select needed.source_file
        from (
            {%- if files is none %}
            select {{ relative_source_file('listed.file') }} as source_file
            from {{ source('feed_files', source_name) }} as listed
            {%- else %}
            {%- for file in files %}
            select {{ sql_string(file) }} as source_file{{ ' union all' if not loop.last }}
            {%- else %}
            select cast(null as {{ dbt.type_string() }}) as source_file
            {%- endfor %}
            {%- endif %}
        ) as needed
        where needed.source_file not in (
            select distinct base_rows.source_file from {{ base_relation }} as base_rows
        )
    {%- endset -%}
    {%- set missing = run_query(query).columns[0].values() | reject('none') | list -%}
    {%- if missing | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {#- A file without rows is never in the base table. -#}
    {%- set rows = run_query('select count(*) from ' ~ raw_rows_of(source_name, missing))
        .columns[0].values()[0] -%}
    {%- if rows > 0 -%}
        {{ exceptions.raise_compiler_error(
            base_relation.identifier ~ " was built by an earlier invocation and lacks "
            ~ (missing | length) ~ " raw file(s) this run needs (" ~ (missing[:3] | join(', '))
            ~ (', ...' if missing | length > 3 else '') ~ "), delivered since. Run the "
            ~ "whole build again (make refresh, or dbt build) instead of dbt retry.") }}
    {%- endif -%}
{% endmacro %}
