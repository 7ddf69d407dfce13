{% macro relative_source_file(path_expression) %}
    {{- return(adapter.dispatch('relative_source_file', 'feed_training_data')(path_expression)) -}}
{% endmacro %}

{% macro default__relative_source_file(path_expression) %}
    {#- A raw file's path under raw_path ('impressions/2026-01-05.parquet'),
        from the path the reader gives (raw_path/<log>/...). -#}
    substr({{ path_expression }}, {{ (var('raw_path') ~ '/') | length + 1 }})
{%- endmacro %}
