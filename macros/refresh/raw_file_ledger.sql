{% macro raw_file_ledger() %}
    {#- The raw-file ledger (the model stg_feed__raw_files) as it stands,
        or none before its first build. Read by the on-run-start hooks that
        plan the run (which files are new, changed or removed) before any
        model is built, and by a compile without a plan; no model of a run
        reads it (they read the plan, the source feed_refresh.files), so the
        ledger needs no place in the order beyond its parents. -#}
    {{ return(model_relation('stg_feed__raw_files')) }}
{% endmacro %}
