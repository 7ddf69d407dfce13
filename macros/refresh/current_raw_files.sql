{% macro current_raw_files(ledger) %}
    {#- The file ledger's current record of each file: a file that changed
        and was taken in again has one record per version, the latest counts. -#}
    select * from (
        select
            ledger.*,
            row_number() over (
                partition by source_name, source_file
                order by first_seen_ts desc
            ) as version_rank
        from {{ ledger }} as ledger
    ) as versions
    where version_rank = 1
{%- endmacro %}
