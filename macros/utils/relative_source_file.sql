{% macro relative_source_file(path_expression) %}
    {{- return(adapter.dispatch('relative_source_file', 'feed_training_data')(path_expression)) -}}
{% endmacro %}

{% macro default__relative_source_file(path_expression) %}
    {#- A raw file's path under raw_path ('impressions/2026-01-05.parquet'),
        from the path the reader gives (raw_path/<log>/...). -#}
    substr({{ path_expression }}, {{ (raw_path() ~ '/') | length + 1 }})
{%- endmacro %}

{% macro spark__relative_source_file(path_expression) %}
    {#- Spark gives file:///abs/path/...: strip the scheme and the absolute
        raw_path. -#}
    substr(
        regexp_replace({{ path_expression }}, '^file:(//)?', ''),
        {{ (absolute_raw_path() ~ '/') | length + 1 }}
    )
{%- endmacro %}
