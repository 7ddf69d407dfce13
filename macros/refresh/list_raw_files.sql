{% macro list_raw_files(source_name) %}
    {{- return(adapter.dispatch('list_raw_files', 'feed_training_data')(source_name)) -}}
{% endmacro %}

{% macro default__list_raw_files(source_name) %}
    {#- Spark: the files of the listing view that on-run-start declares over
        the log's folder (binaryFile, without reading their content):
        file, file_size (bytes), file_modified_ts. -#}
    select
        path as file,
        length as file_size,
        modificationTime as file_modified_ts
    from {{ raw_listing_view(source_name) }}
{%- endmacro %}

{% macro duckdb__list_raw_files(source_name) %}
    {#- The same glob as the source's external_location, listed with each
        file's size and modification time, without reading the files. -#}
    select
        filename as file,
        size as file_size,
        cast(last_modified as timestamp) as file_modified_ts
    from read_blob({{ sql_string(raw_glob(source_name)) }})
{%- endmacro %}
