{#- SQL that engines spell differently: each family has a duckdb__ and a
    spark__ form; its default__ stops with unsupported_adapter. -#}

{% macro unsupported_adapter(macro_name) %}
    {{- exceptions.raise_compiler_error(macro_name ~ ' has no form for the ' ~ target.type
        ~ ' adapter: the project runs on duckdb and spark (docs/spark.md)') -}}
{% endmacro %}

{% macro sql_string(value) %}
    {{- return(adapter.dispatch('sql_string', 'feed_training_data')(value)) -}}
{% endmacro %}

{% macro default__sql_string(value) %}
    {{- unsupported_adapter('sql_string') -}}
{% endmacro %}

{% macro spark__sql_string(value) %}
    {#- Spark reads backslash escapes inside string literals. -#}
    {{- return("'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}

{% macro duckdb__sql_string(value) %}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{% macro add_days(date_expression, days) %}
    {{- return(adapter.dispatch('add_days', 'feed_training_data')(date_expression, days)) -}}
{% endmacro %}

{% macro default__add_days(date_expression, days) %}
    {{- unsupported_adapter('add_days') -}}
{% endmacro %}

{% macro spark__add_days(date_expression, days) %}
    date_add({{ date_expression }}, {{ days | int }})
{%- endmacro %}

{% macro duckdb__add_days(date_expression, days) %}
    cast({{ date_expression }} + interval ({{ days | int }}) day as date)
{%- endmacro %}

{% macro add_seconds(timestamp_expression, seconds) %}
    {{- return(adapter.dispatch('add_seconds', 'feed_training_data')(timestamp_expression, seconds)) -}}
{% endmacro %}

{% macro default__add_seconds(timestamp_expression, seconds) %}
    {{- unsupported_adapter('add_seconds') -}}
{% endmacro %}

{% macro spark__add_seconds(timestamp_expression, seconds) %}
    {#- Keeps sub-second precision, which dbt.dateadd on Spark drops. -#}
    ({{ timestamp_expression }} + interval {{ seconds | int }} seconds)
{%- endmacro %}

{% macro duckdb__add_seconds(timestamp_expression, seconds) %}
    ({{ timestamp_expression }} + interval ({{ seconds | int }}) second)
{%- endmacro %}

{% macro seconds_between(start_expression, end_expression) %}
    {#- Seconds from start to end, with their microseconds, as a double. -#}
    {{- return(adapter.dispatch('seconds_between', 'feed_training_data')(
        start_expression, end_expression)) -}}
{% endmacro %}

{% macro default__seconds_between(start_expression, end_expression) %}
    {{- unsupported_adapter('seconds_between') -}}
{% endmacro %}

{% macro spark__seconds_between(start_expression, end_expression) %}
    (cast(unix_micros({{ end_expression }}) - unix_micros({{ start_expression }}) as double)
        / cast(1000000 as double))
{%- endmacro %}

{% macro duckdb__seconds_between(start_expression, end_expression) %}
    (cast(epoch_us({{ end_expression }}) - epoch_us({{ start_expression }}) as double)
        / cast(1000000 as double))
{%- endmacro %}

{% macro value_at_first(value_expression, order_expression) %}
    {#- An aggregate: the value on the row whose order is smallest, null
        included (the order is unique in the group). -#}
    {{- return(adapter.dispatch('value_at_first', 'feed_training_data')(
        value_expression, order_expression)) -}}
{% endmacro %}

{% macro default__value_at_first(value_expression, order_expression) %}
    {{- unsupported_adapter('value_at_first') -}}
{% endmacro %}

{% macro spark__value_at_first(value_expression, order_expression) %}
    min_by({{ value_expression }}, {{ order_expression }})
{%- endmacro %}

{% macro duckdb__value_at_first(value_expression, order_expression) %}
    {#- arg_min would skip a null value. -#}
    arg_min_null({{ value_expression }}, {{ order_expression }})
{%- endmacro %}

{% macro iso_day_of_week(timestamp_expression) %}
    {{- return(adapter.dispatch('iso_day_of_week', 'feed_training_data')(timestamp_expression)) -}}
{% endmacro %}

{% macro default__iso_day_of_week(timestamp_expression) %}
    {{- unsupported_adapter('iso_day_of_week') -}}
{% endmacro %}

{% macro spark__iso_day_of_week(timestamp_expression) %}
    {#- Spark's dayofweek counts Sunday 1 to Saturday 7. -#}
    (((dayofweek({{ timestamp_expression }}) + 5) % 7) + 1)
{%- endmacro %}

{% macro duckdb__iso_day_of_week(timestamp_expression) %}
    isodow({{ timestamp_expression }})
{%- endmacro %}

{#- The draw: one md5 per example and five tasks, 24 bits per task. -#}

{% macro example_digest(digest_group, relation_name=none) %}
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
    {{- unsupported_adapter('example_digest') -}}
{% endmacro %}

{% macro spark__example_digest(key) %}
    md5({{ key }})
{%- endmacro %}

{% macro duckdb__example_digest(key) %}
    {#- The same 16 bytes as a 128-bit integer: no 32-character string per example. -#}
    md5_number({{ key }})
{%- endmacro %}

{% macro draw_bits_from_digest(digest_expression, slice_index) %}
    {%- if slice_index < 0 or slice_index > 4 -%}
        {{ exceptions.raise_compiler_error(
            "draw_bits_from_digest: slice_index must be 0..4, got " ~ slice_index) }}
    {%- endif -%}
    {{- return(adapter.dispatch('draw_bits_from_digest', 'feed_training_data')(
        digest_expression, slice_index)) -}}
{%- endmacro %}

{% macro default__draw_bits_from_digest(digest_expression, slice_index) %}
    {{- unsupported_adapter('draw_bits_from_digest') -}}
{% endmacro %}

{% macro spark__draw_bits_from_digest(digest_expression, slice_index) %}
    cast(conv(substr({{ digest_expression }}, {{ 1 + 6 * slice_index }}, 6), 16, 10) as int)
{%- endmacro %}

{% macro duckdb__draw_bits_from_digest(digest_expression, slice_index) %}
    {#- Hex digits 6s+1 .. 6s+6 are digest bytes 3s, 3s+1 and 3s+2 of
        md5_number, the first byte in the lowest bits. -#}
    {%- set first_bit = 24 * slice_index -%}
    cast(
        (((({{ digest_expression }}) >> {{ first_bit }}) & 255) << 16)
        | (((({{ digest_expression }}) >> {{ first_bit + 8 }}) & 255) << 8)
        | ((({{ digest_expression }}) >> {{ first_bit + 16 }}) & 255)
        as integer)
{%- endmacro %}
