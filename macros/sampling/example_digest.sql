{% macro example_digest(digest_group, relation_name=none) %}
    {#- The md5 digest of 'salt|group|user_id|tweet_id|event_date': the one
        hash an example gets per group of five tasks (see docs/semantics.md),
        in whatever form the engine's uniform_from_digest reads. -#}
    {%- set prefix = (relation_name ~ '.') if relation_name else '' -%}
    {%- set key = dbt.concat([
        sql_string((var('sampling_salt') | string) ~ '|' ~ digest_group ~ '|'),
        dbt.cast(prefix ~ 'user_id', dbt.type_string()),
        "'|'",
        dbt.cast(prefix ~ 'tweet_id', dbt.type_string()),
        "'|'",
        dbt.cast(prefix ~ 'event_date', dbt.type_string()),
    ]) -%}
    {{- return(adapter.dispatch('example_digest', 'feed_training_data')(key)) -}}
{%- endmacro %}

{% macro default__example_digest(key) %}
    {#- The lower-case hex digest (32 characters). -#}
    md5({{ key }})
{%- endmacro %}

{% macro duckdb__example_digest(key) %}
    {#- The same 16 digest bytes as a 128-bit unsigned integer, byte i of the
        digest in bits 8i to 8i + 7: no 32-character string per example. -#}
    md5_number({{ key }})
{%- endmacro %}
