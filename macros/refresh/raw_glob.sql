{% macro raw_glob(source_name) %}
    {#- The glob of one log's Parquet files, as the DuckDB source reads them. -#}
    {{- return(raw_path() ~ '/' ~ source_name ~ '/**/*.parquet') -}}
{% endmacro %}
