{% macro example_digest(digest_group, relation_name=none) %}
    {#- md5 hex digest of 'salt|group|user_id|tweet_id|event_date': the one
        hash an example gets per group of five tasks (see docs/semantics.md). -#}
    {%- set prefix = (relation_name ~ '.') if relation_name else '' -%}
    {%- set salt = var('sampling_salt') | string | replace("'", "''") -%}
    md5({{ dbt.concat([
        "'" ~ salt ~ "|" ~ digest_group ~ "|'",
        dbt.cast(prefix ~ 'user_id', dbt.type_string()),
        "'|'",
        dbt.cast(prefix ~ 'tweet_id', dbt.type_string()),
        "'|'",
        dbt.cast(prefix ~ 'event_date', dbt.type_string()),
    ]) }})
{%- endmacro %}
