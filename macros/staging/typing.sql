{#- How staging types and validates a raw row, shared by the base models and
    the tests that re-read the raw files. -#}

{% macro cast_id(column) %}
    {%- set id_type = id_data_type() -%}
    {%- if id_type == 'bigint' -%}
        case
            when {{ is_integer_typed(column) }} then try_cast({{ column }} as {{ id_type }})
            else try_cast(
                case
                    when {{ regex_full_match(dbt.cast(column, dbt.type_string()), '\\s*[+-]?[0-9]+\\s*') }}
                        then trim({{ dbt.cast(column, dbt.type_string()) }})
                end as {{ id_type }}
            )
        end
    {%- else -%}
        {{ dbt.cast(column, id_type) }}
    {%- endif -%}
{%- endmacro %}

{% macro is_integer_typed(column) %}
    {{- return(adapter.dispatch('is_integer_typed', 'feed_training_data')(column)) -}}
{% endmacro %}

{% macro default__is_integer_typed(column) %}
    {{- unsupported_adapter('is_integer_typed') -}}
{% endmacro %}

{% macro spark__is_integer_typed(column) %}
    (typeof({{ column }}) in ('bigint', 'int', 'smallint', 'tinyint'))
{%- endmacro %}

{% macro duckdb__is_integer_typed(column) %}
    (typeof({{ column }}) in (
        'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT'
    ))
{%- endmacro %}

{% macro regex_full_match(expression, pattern) %}
    {{- return(adapter.dispatch('regex_full_match', 'feed_training_data')(expression, pattern)) -}}
{% endmacro %}

{% macro default__regex_full_match(expression, pattern) %}
    {{- unsupported_adapter('regex_full_match') -}}
{% endmacro %}

{% macro spark__regex_full_match(expression, pattern) %}
    {#- rlike searches: anchor the pattern. -#}
    ({{ expression }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) %}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro cast_utc_timestamp(column) %}
    {{- return(adapter.dispatch('cast_utc_timestamp', 'feed_training_data')(column)) -}}
{% endmacro %}

{% macro default__cast_utc_timestamp(column) %}
    {{- unsupported_adapter('cast_utc_timestamp') -}}
{% endmacro %}

{% macro spark__cast_utc_timestamp(column) %}
    {#- Spark: timestamps are instants shown in the session time zone (UTC in
        the profile); an offset in a string is honoured. -#}
    try_cast({{ column }} as timestamp)
{%- endmacro %}

{% macro duckdb__cast_utc_timestamp(column) %}
    {#- Through timestamptz, so that an offset in a string is converted to UTC
        (the profile sets TimeZone to UTC); a naive timestamp is taken as it is.
        Nanoseconds are cut, as a cast would round 23:59:59.9999999 up a day. -#}
    case
        when typeof({{ column }}) = 'TIMESTAMP' then try_cast({{ column }} as timestamp)
        when typeof({{ column }}) in ('TIMESTAMP_NS', 'TIMESTAMPTZ_NS')
            then make_timestamp(epoch_us(cast({{ column }} as timestamp_ns)))
        else cast(try_cast({{ column }} as timestamptz) as timestamp)
    end
{%- endmacro %}

{% macro key_reject_reasons(timestamp_column) %}
    when user_id is null then 'null_user_id'
    when typed_user_id is null then 'invalid_user_id'
    when tweet_id is null then 'null_tweet_id'
    when typed_tweet_id is null then 'invalid_tweet_id'
    when {{ timestamp_column }} is null then 'null_timestamp'
    when typed_{{ timestamp_column }} is null then 'invalid_timestamp'
    {#- A clock far ahead would move the watermark and the refresh window. #}
    when typed_{{ timestamp_column }} > {{ add_seconds(
        "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)",
        max_future_seconds()) }} then 'future_timestamp'
{%- endmacro %}

{% macro canonical_action(folded_action, alias_action) %}
    {%- set actions = [] -%}
    {%- for action in get_actions() -%}
        {%- do actions.append(sql_string(action)) -%}
    {%- endfor -%}
    case
        when coalesce({{ alias_action }}, {{ folded_action }}) in ({{ actions | join(', ') }})
            then coalesce({{ alias_action }}, {{ folded_action }})
    end
{%- endmacro %}
