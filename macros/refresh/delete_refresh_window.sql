{% macro delete_refresh_window() %}
    {#- Pre-hook of every model under staging/ and intermediate/
        (dbt_project.yml): on an incremental run of a model that the refresh
        rewrites by day (its meta's refresh_day_column, set by
        daily_incremental), delete the refresh window's days before the new
        rows are appended. A model without a day column is left alone. -#}
    {%- set meta = model.config.get('meta', {}) if execute else {} -%}
    {%- set day_column = meta.get('refresh_day_column') -%}
    {%- if not day_column -%}
        {{ return('') }}
    {%- endif -%}
    {{- return(adapter.dispatch('delete_refresh_window', 'feed_training_data')(
        day_column, meta.get('refresh_deletes_new_files', false))) -}}
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

{% macro spark__delete_refresh_window(day_column, also_delete_new_files=false) %}
    {#- Spark parquet tables cannot DELETE: drop the partitions (days) of the
        refresh window instead, before the new rows are appended. Rows without
        a day (the null partition) stay; see docs/spark.md. -#}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set window = refresh_window() -%}
    {%- for day in partition_days(this) -%}
        {%- if (window.start is none or day >= window.start)
            and (window.end is none or day <= window.end) -%}
            {%- do run_query(
                'alter table ' ~ this ~ ' drop if exists partition ('
                ~ day_column ~ " = '" ~ day ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
