{% macro raw_listing_view(source_name) %}
    {#- Spark: the session view listing one log's raw files (register_raw_tables). -#}
    {{- return('feed_raw_files_' ~ source_name) -}}
{% endmacro %}
