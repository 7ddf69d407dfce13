{% macro daily_incremental(day_column, also_delete_new_files=false) %}
    {#- The one config a model that grows with the logs sets itself: the day
        column the refresh rewrites it by. Everything else cascades from
        dbt_project.yml by folder (incremental, append, on_schema_change
        fail, and the folder's pre-hook: delete_refresh_window(), or
        delete_days_outside_split() for the split marts, which read this
        column from the model's meta). On an incremental run the model's SQL
        reads only the refresh window's days, the pre-hook deletes those
        days and the new rows are appended, so a day that became empty is
        emptied too and a re-run changes nothing. On Spark the day is also
        the table's partition column, which the pre-hook drops: dbt-spark
        accepts no custom incremental strategy, and its tables cannot
        DELETE. dbt_project.yml cannot give each model its own column, so
        this stays beside the model. -#}
    {%- set settings = {'meta': {
        'refresh_day_column': day_column,
        'refresh_deletes_new_files': also_delete_new_files,
    }} -%}
    {%- if target.type == 'spark' -%}
        {%- do settings.update({'partition_by': [day_column]}) -%}
    {%- endif -%}
    {{ config(**settings) }}
{% endmacro %}
