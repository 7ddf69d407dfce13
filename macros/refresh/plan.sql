{#- What a model asks of the refresh: its day column and the plan on-run-start wrote. -#}

{% macro daily_incremental(day_column, also_delete_new_files=false) %}
    {%- set settings = {'meta': {
        'refresh_day_column': day_column,
        'refresh_deletes_new_files': also_delete_new_files,
    }} -%}
    {#- On Spark the day is also the partition the pre-hook drops. -#}
    {%- if target.type == 'spark' -%}
        {%- do settings.update({'partition_by': [day_column]}) -%}
    {%- endif -%}
    {{ config(**settings) }}
{% endmacro %}

{% macro refresh_plan() %}
    {%- set everything = {'mode': 'full', 'start': none, 'end': none,
        'files': {'impressions': none, 'engagements': none}} -%}
    {#- Only commands that run the on-run-start hooks have a plan. The tables
        are read when the node compiles, so they are not among its parents. -#}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'test', 'retry']
        or model.resource_type == 'unit_test' -%}
        {{ return(everything) }}
    {%- endif -%}
    {%- set query -%}
        select
            windows.window_mode,
            cast(windows.window_start as {{ dbt.type_string() }}),
            cast(windows.window_end as {{ dbt.type_string() }}),
            files.source_name,
            files.source_file,
            files.is_new
        from {{ source('feed_refresh', 'windows') }} as windows
        left join {{ source('feed_refresh', 'files') }} as files
            on windows.invocation_id = files.invocation_id
        where windows.invocation_id = '{{ invocation_id }}'
        order by files.source_name, files.source_file
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 -%}
        {{ return(everything) }}
    {%- endif -%}
    {%- set files = {'impressions': {'to_read': [], 'new': []},
        'engagements': {'to_read': [], 'new': []}} -%}
    {%- for row in rows if row[3] is not none -%}
        {%- if row[4] is none -%}
            {%- do files.update({row[3]: none}) -%}
        {%- elif files[row[3]] is not none -%}
            {%- do files[row[3]]['to_read'].append(row[4]) -%}
            {%- if row[5] is sameas true -%}
                {%- do files[row[3]]['new'].append(row[4]) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'mode': rows[0][0], 'start': rows[0][1], 'end': rows[0][2], 'files': files}) }}
{% endmacro %}

{% macro in_refresh_window(day_column, plan) %}
    {%- set conditions = [] -%}
    {%- if plan.start is not none -%}
        {%- do conditions.append(day_column ~ " >= cast('" ~ plan.start ~ "' as date)") -%}
    {%- endif -%}
    {%- if plan.end is not none -%}
        {%- do conditions.append(day_column ~ " <= cast('" ~ plan.end ~ "' as date)") -%}
    {%- endif -%}
    {#- A bare true: Spark reads `<table> where (true)` as an alias with a column list. -#}
    {{- return('(' ~ conditions | join(' and ') ~ ')' if conditions else 'true') -}}
{% endmacro %}

{% macro is_refresh(plan) %}
    {{ return(plan.mode in ['scheduled', 'explicit']) }}
{% endmacro %}

{% macro planned_files(plan, source_name, which='to_read') %}
    {%- set files = plan.files[source_name] -%}
    {{ return(none if files is none else files[which]) }}
{% endmacro %}

{% macro raw_files_predicate(plan, source_name, file_column='source_file', which='to_read') %}
    {%- set files = planned_files(plan, source_name, which) -%}
    {%- if files is none -%}
        {{ return('true') }}
    {%- elif files | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append(sql_string(file)) -%}
    {%- endfor -%}
    {%- set relative = file_column if file_column == 'source_file'
        else relative_source_file(file_column) -%}
    {{ return(relative ~ ' in (' ~ (quoted | join(', ')) ~ ')') }}
{% endmacro %}
