{% macro assert_raw_rows_read(base_relation, source_name) %}
    {#- Compile-time guard of a model that reads a base table (the raw rows of
        one log that a run read): every non-empty raw file this invocation
        needs must be in it. The base table is rebuilt by every run; it can be
        older than the invocation when `dbt retry` resumes a run that failed
        after building it, or when a selection leaves it out. That is fine
        while the files it holds cover this invocation's (the usual retry);
        when a file arrived in between, stop with a clear error rather than
        miss its rows. Only runs that build check (not compile or lint). -#}
    {%- if not execute or model.resource_type != 'model'
        or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- if adapter.get_relation(
        database=base_relation.database, schema=base_relation.schema,
        identifier=base_relation.identifier) is none -%}
        {{ exceptions.raise_compiler_error(
            base_relation.identifier ~ " does not exist: build it first ("
            ~ "dbt build --select " ~ base_relation.identifier ~ "+)") }}
    {%- endif -%}
    {%- set needed = raw_files_to_read(source_name) -%}
    {%- set listed -%}
        {%- if needed is none -%}
            select {{ relative_source_file('listed.file') }} as source_file
            from ({{ list_raw_files(source_name) }}) as listed
        {%- elif needed | length > 0 -%}
            {%- for file in needed -%}
                select {{ sql_string(file) }} as source_file
                {{- ' union all ' if not loop.last }}
            {%- endfor -%}
        {%- endif -%}
    {%- endset -%}
    {%- if not listed -%}
        {{ return('') }}
    {%- endif -%}
    {%- set query -%}
        select needed.source_file
        from ({{ listed }}) as needed
        where needed.source_file not in (
            select distinct base_rows.source_file from {{ base_relation }} as base_rows
        )
    {%- endset -%}
    {%- set missing = run_query(query).columns[0].values() | list -%}
    {%- if missing | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {#- Files without rows are never in the base table: only a missing file
        with rows is a problem. -#}
    {%- set counts = raw_file_row_counts(missing) -%}
    {%- if counts.values() | sum > 0 -%}
        {{ exceptions.raise_compiler_error(
            base_relation.identifier ~ " was built by an earlier invocation and lacks "
            ~ (missing | length) ~ " raw file(s) this run needs (" ~ (missing[:3] | join(', '))
            ~ (', ...' if missing | length > 3 else '') ~ "), delivered since. Run the "
            ~ "whole build again (make refresh, or dbt build) instead of dbt retry.") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
