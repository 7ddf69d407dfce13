{% materialization incremental, adapter='duckdb' %}
    {#- Overrides dbt-duckdb's (decision 0026): on an existing table it writes
        the model's rows into a temporary table, then copies them in, so a
        refresh wrote every row twice. An append here inserts the model's
        query itself, through a temporary view, after the pre-hook's DELETE as
        before, with the same on_schema_change check. A first build,
        --full-refresh, another strategy or a Python model is dbt-duckdb's. -#}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- if existing_relation is none or existing_relation.is_view or should_full_refresh()
        or config.get('incremental_strategy') != 'append' or model.language != 'sql' -%}
        {{ return(dbt.materialization_incremental_duckdb()) }}
    {%- endif -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set query_relation = make_temp_relation(target_relation, '__dbt_query') -%}
    {%- if config.get('contract').enforced -%}
        {%- do get_assert_columns_equivalent(sql) -%}
    {%- endif -%}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- call statement('query_view') -%}
        create temporary view {{ query_relation }} as ({{ sql }})
    {%- endcall -%}
    {%- set dest_columns = process_schema_changes(incremental_validate_on_schema_change(
        config.get('on_schema_change'), default='ignore'), query_relation, existing_relation)
        or adapter.get_columns_in_relation(existing_relation) -%}
    {%- call statement('main') -%}
        {{ get_insert_into_sql(target_relation, query_relation, dest_columns) }};
        drop view {{ query_relation }}
    {%- endcall -%}
    {%- do apply_grants(target_relation, config.get('grants'),
        should_revoke=should_revoke(existing_relation, full_refresh_mode=false)) -%}
    {%- do persist_docs(target_relation, model) -%}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {%- do adapter.commit() -%}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
