{% macro raw_file_fingerprint_query(footers_of) %}
    {#- DuckDB: source_file, footer_fingerprint of the Parquet files
        `footers_of` (a quoted path, glob or list literal). -#}
    select
        {{ relative_source_file('file_name') }} as source_file,
        md5(string_agg(
            concat_ws(
                '|', row_group_id, column_id, path_in_schema, type, row_group_num_rows,
                num_values, total_compressed_size, total_uncompressed_size,
                stats_null_count, stats_min_value, stats_max_value
            ),
            ',' order by row_group_id, column_id
        )) as footer_fingerprint
    from parquet_metadata({{ footers_of }})
    group by file_name
{%- endmacro %}
