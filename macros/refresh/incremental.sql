{#- The pre-hooks of the tables that grow by day: before a run appends the
    refresh window's days, delete them (the window as refresh_plan holds it,
    read in the statement's own SQL). -#}

{% macro delete_refresh_window() %}
    {%- set meta = model.config.get('meta', {}) if execute else {} -%}
    {%- if not meta.get('refresh_day_column') or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- for condition in refreshed_rows(meta, 'refreshed') -%}
        {%- do statements.append(adapter.dispatch('delete_days', 'feed_training_data')(
            meta.refresh_day_column, condition) | trim) -%}
    {%- endfor -%}
    {{- return(statements | reject('equalto', '') | join(';\n')) -}}
{% endmacro %}

{% macro default__delete_days(day_column, condition) %}
    {#- Standard SQL: a table that takes a DELETE. -#}
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

{% macro default__clear_leftover_table_folder() %}
    {{- unsupported_adapter('clear_leftover_table_folder') -}}
{% endmacro %}

{% macro duckdb__clear_leftover_table_folder() %}
    {#- A table is a part of the database file: no folder to clear. -#}
{% endmacro %}

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
