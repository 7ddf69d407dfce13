{#- Applying the window to the tables that grow by day: the pre-hooks that delete
    its days before a run appends them, and the data tests of those days only. -#}

{% macro window_days_condition(day_column) %}
    {#- Scalar subqueries: Spark prunes partitions with them, DuckDB reads one row. -#}
    {%- set planned = '(select {} from ' ~ source('feed_refresh', 'windows')
        ~ " where invocation_id = '" ~ invocation_id ~ "')" -%}
    {{- return('((' ~ planned.format('window_start') ~ ' is null or ' ~ day_column ~ ' >= '
        ~ planned.format('window_start') ~ ') and (' ~ planned.format('window_end')
        ~ ' is null or ' ~ day_column ~ ' <= ' ~ planned.format('window_end') ~ '))') -}}
{%- endmacro %}

{% macro delete_refresh_window() %}
    {%- set meta = model.config.get('meta', {}) if execute else {} -%}
    {%- if not meta.get('refresh_day_column') or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set condition = window_days_condition('refreshed.' ~ meta.refresh_day_column) -%}
    {%- if meta.get('refresh_deletes_new_files') -%}
        {%- set condition = condition ~ ' or exists (select 1 from '
            ~ source('feed_refresh', 'files') ~ " as planned where planned.invocation_id = '"
            ~ invocation_id ~ "' and planned.is_new and (planned.source_file is null"
            ~ ' or planned.source_file = refreshed.source_file))' -%}
    {%- endif -%}
    {{- return(adapter.dispatch('delete_days', 'feed_training_data')(
        meta.refresh_day_column, condition)) -}}
{% endmacro %}

{% macro delete_days_outside_split() %}
    {%- set split_name = model.config.get('meta', {}).get('split') if execute else none -%}
    {%- if not split_name or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {{- return(adapter.dispatch('delete_days', 'feed_training_data')('event_date',
        window_days_condition('refreshed.event_date')
        ~ ' or refreshed.event_date not in (select event_date from '
        ~ ref('int_mature_days_split') ~ " where split = '" ~ split_name ~ "')")) -}}
{% endmacro %}

{% macro default__delete_days(day_column, condition) %}
    delete from {{ this }} as refreshed where {{ condition }}
{% endmacro %}

{% macro spark__delete_days(day_column, condition) %}
    {#- Parquet tables cannot DELETE: drop the partitions of the days the condition
        holds for, in one statement. Rows without a day share a partition: those it
        does not hold for (a repair reads again a file a killed run had filed) are
        set aside in a table and put back. -#}
    {%- set days = run_query('select distinct cast(' ~ day_column ~ ' as string) from ' ~ this
        ~ ' as refreshed where ' ~ condition).columns[0].values() -%}
    {%- set kept = this.schema ~ '.' ~ this.identifier ~ '__undated_kept' -%}
    {%- if none in days -%}
        {%- do adapter.execute('drop table if exists ' ~ kept) -%}
        {%- do adapter.execute('create table ' ~ kept ~ ' using parquet as select * from ' ~ this
            ~ ' as refreshed where ' ~ day_column ~ ' is null and not coalesce((' ~ condition
            ~ '), false)') -%}
    {%- endif -%}
    {%- set partitions = [] -%}
    {%- for day in days -%}
        {%- do partitions.append('partition (' ~ day_column
            ~ (" = '" ~ day ~ "')" if day is not none else ' = null)')) -%}
    {%- endfor -%}
    {%- if partitions -%}
        {%- do adapter.execute('alter table ' ~ this ~ ' drop if exists '
            ~ (partitions | sort | join(', '))) -%}
    {%- endif -%}
    {%- if none in days -%}
        {%- do adapter.execute('insert into ' ~ this ~ ' select * from ' ~ kept) -%}
        {%- do adapter.execute('drop table ' ~ kept) -%}
    {%- endif -%}
{% endmacro %}

{% macro clear_leftover_table_folder() %}
    {{- return(adapter.dispatch('clear_leftover_table_folder', 'feed_training_data')()) -}}
{% endmacro %}

{% macro default__clear_leftover_table_folder() %}{% endmacro %}

{% macro spark__clear_leftover_table_folder() %}
    {#- A run killed while it creates a table leaves the folder without the table,
        and the next create fails (LOCATION_ALREADY_EXISTS). Before a table is
        created, an empty probe table is pointed at its folder and dropped, which
        deletes the folder if there is one. -#}
    {%- if execute and model.config.materialized in ['table', 'incremental']
        and adapter.get_relation(this.database, this.schema, this.identifier) is none -%}
        {%- set location = (run_query('describe schema extended ' ~ this.schema).rows
            | selectattr('info_name', 'equalto', 'Location') | first).info_value -%}
        {#- One probe per model: nodes on other threads probe at the same time. -#}
        {%- set probe = this.schema ~ '.' ~ this.identifier ~ '__leftover_probe' -%}
        {%- do adapter.execute('drop table if exists ' ~ probe) -%}
        {%- do adapter.execute('create table ' ~ probe ~ ' (probe int) using parquet') -%}
        {%- do adapter.execute('alter table ' ~ probe ~ " set location '" ~ location ~ '/'
            ~ this.identifier | lower ~ "'") -%}
        {%- do adapter.execute('drop table ' ~ probe) -%}
    {%- endif -%}
{% endmacro %}

{% macro days_to_append(plan) %}
    {#- A split mart appends the window's days and any day later than it holds. -#}
    {%- if not is_incremental() -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set last_day = run_query('select cast(max(event_date) as ' ~ dbt.type_string()
        ~ ') from ' ~ this).columns[0].values()[0] if execute else none -%}
    {%- if not last_day -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set day_after = (modules.datetime.date.fromisoformat(last_day | string)
        + modules.datetime.timedelta(days=1)).isoformat() -%}
    {#- A window without an end: one comparison, which the engines carry across
        the join to both tables the marts read (and so skip their other days). -#}
    {%- if plan.start and plan.end is none -%}
        {{ return("event_date >= cast('" ~ ([plan.start, day_after] | min) ~ "' as date)") }}
    {%- endif -%}
    {{ return('(' ~ in_refresh_window('event_date', plan)
        ~ " or event_date >= cast('" ~ day_after ~ "' as date))") }}
{% endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set attached = model.get('attached_node') if model is mapping else none -%}
    {%- set tested = graph.nodes.get(attached) if execute and attached else none -%}
    {%- set day_column = tested.config.meta.get('refresh_day_column')
        if tested and tested.config.materialized == 'incremental' else none -%}
    {%- set conditions = ['(' ~ where ~ ')'] if where else [] -%}
    {%- if day_column -%}
        {%- do conditions.append(adapter.dispatch('tested_days', 'feed_training_data')(day_column)) -%}
    {%- endif -%}
    {%- if not conditions -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ (conditions | join(' and '))
        ~ ') dbt_subquery') }}
{%- endmacro %}

{% macro default__tested_days(day_column) %}
    {{ return(window_days_condition(day_column)) }}
{% endmacro %}

{% macro duckdb__tested_days(day_column) %}
    {#- Literal days from the plan (one in-process query): DuckDB skips the
        other days' row groups. -#}
    {%- set plan = refresh_plan() -%}
    {{ return(in_refresh_window(day_column, plan) if is_refresh(plan) else 'true') }}
{% endmacro %}
