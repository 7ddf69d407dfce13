{% macro daily_incremental(day_column, also_delete_new_files=false) %}
    {#- Config of a model that grows with the logs: incremental by day. On an
        incremental run the model's SQL reads only the refresh window's days,
        a pre-hook deletes those days from the table and the new rows are
        appended, so a day that became empty is emptied too and a re-run
        changes nothing. `--full-refresh` rebuilds everything. -#}
    {%- set delete_hook = "{{ delete_refresh_window('" ~ day_column ~ "', "
        ~ also_delete_new_files ~ ") }}" -%}
    {%- set settings = {
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': delete_hook,
        'meta': {'refresh_day_column': day_column},
    } -%}
    {%- if target.type == 'spark' -%}
        {#- Spark: a parquet table partitioned by the day; the pre-hook drops
            the window's partitions. -#}
        {%- do settings.update({'file_format': 'parquet', 'partition_by': [day_column]}) -%}
    {%- endif -%}
    {{ config(**settings) }}
{% endmacro %}

{% macro delete_refresh_window(day_column, also_delete_new_files=false) %}
    {{- return(adapter.dispatch('delete_refresh_window', 'feed_training_data')(
        day_column, also_delete_new_files)) -}}
{% endmacro %}

{% macro default__delete_refresh_window(day_column, also_delete_new_files=false) %}
    {#- Pre-hook: on an incremental run, delete the refresh window's days (and,
        for a model that keeps rows without a day, the rows of raw files this
        run sees first, so that a retry does not add them twice) before the
        new rows are appended. -#}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where
        {{ in_refresh_window(day_column) }}
        {%- if also_delete_new_files %}
        or {{ raw_files_predicate(
            'impressions', which='new', file_column='source_file') }}
        or {{ raw_files_predicate(
            'engagements', which='new', file_column='source_file') }}
        {%- endif %}
{% endmacro %}
