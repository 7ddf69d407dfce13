{% macro raw_file_stats_from_rows(source_name, base_relation, except_files=none) %}
    {#- raw_file_stats counted from the base table's rows, for the new files
        (but those of the query `except_files`, a list of source_file). -#}
    select
        source_file,
        count(*) as raw_rows,
        count(row_date) as rows_with_day,
        min(row_date) as min_row_date,
        max(row_date) as max_row_date
    from {{ base_relation }}
    where
        {{ raw_files_predicate(
            source_name, which='new', file_column='source_file') }}
        {%- if except_files %}
        and source_file not in ({{ except_files }})
        {%- endif %}
    group by source_file
{%- endmacro %}
