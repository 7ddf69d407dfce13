{#- Tables read beside lineage, by their relation: a model a node reads
    before the run rebuilds it (the raw-file ledger), and the latest version
    of each file the ledger holds. -#}

{% macro model_relation(model_name) %}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{% macro current_raw_files(ledger) %}
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
