{#- The vars that say where the logs are and what they hold: read and checked here. -#}

{% macro raw_path() %}
    {%- set value = var('raw_path', none) or env_var('FEED_RAW_PATH', 'data/raw') -%}
    {%- if value is not string or value | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "var raw_path must be the folder of the raw logs, got " ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(value if value == '/' else value.rstrip('/')) }}
{% endmacro %}

{% macro raw_input_kind() %}
    {%- set kind = var('raw_input', 'files') | string | lower -%}
    {%- if kind not in ['files', 'tables'] -%}
        {{ exceptions.raise_compiler_error(
            "var raw_input must be files or tables, got " ~ (kind | tojson)) }}
    {%- endif -%}
    {{ return(kind) }}
{% endmacro %}

{% macro raw_loaded_at_column() %}
    {%- set column = var('raw_loaded_at_column', 'loaded_at') -%}
    {%- if column is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', column) -%}
        {{ exceptions.raise_compiler_error(
            "var raw_loaded_at_column must name a column, got " ~ (column | tojson)) }}
    {%- endif -%}
    {{ return(column | lower) }}
{% endmacro %}

{% macro raw_load_lag_seconds() %}
    {%- set hours = var('raw_load_lag_hours', 24) -%}
    {%- if hours is not number or hours < 0 -%}
        {{ exceptions.raise_compiler_error(
            "var raw_load_lag_hours must be a number of hours >= 0, got " ~ (hours | tojson)) }}
    {%- endif -%}
    {{ return((hours * 3600) | int) }}
{% endmacro %}

{% macro id_data_type() %}
    {%- set id_type = var('id_type') | string | lower -%}
    {%- if id_type in ['bigint', 'int64', 'long'] -%}
        {{ return('bigint') }}
    {%- elif id_type in ['varchar', 'string', 'text'] -%}
        {{ return(dbt.type_string()) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var id_type must be bigint or varchar, got '" ~ var('id_type') ~ "'") }}
{% endmacro %}

{% macro impression_context_columns() %}
    {#- The impressions' context columns (var impression_context_columns, a
        mapping of name to type), checked, in the var's order: each a dict of
        name, type (the var's word) and sql_type. -#}
    {%- set value = var('impression_context_columns', {}) or {} -%}
    {%- if value is not mapping -%}
        {{ exceptions.raise_compiler_error("var impression_context_columns must map each column "
            ~ "to its type, e.g. {position: integer}; got " ~ (value | tojson)) }}
    {%- endif -%}
    {%- set sql_types = {'integer': 'integer', 'bigint': 'bigint', 'double': 'double',
        'boolean': 'boolean', 'string': dbt.type_string()} -%}
    {%- set taken = ['user_id', 'tweet_id', 'impression_ts', 'action', 'engagement_ts',
        'source_file', 'file_row_number', 'reject_reason', 'row_date', 'impression_date',
        'duplicates_removed', 'impressions', 'event_date', 'example_ts', 'task', 'label',
        'sampling_rate', 'sample_weight', 'sample_ts', 'engaged_ts', 'label_delay_seconds',
        'observed_seconds'] -%}
    {%- set columns = [] -%}
    {%- for name, type in value.items() -%}
        {%- if name is not string or not modules.re.fullmatch('[a-z_][a-z0-9_]*', name)
            or name in taken or name.startswith('label_') or name.startswith('typed_') -%}
            {{ exceptions.raise_compiler_error("var impression_context_columns: " ~ (name | tojson)
                ~ " cannot name a context column (lower-case letters, digits and _, and not a "
                ~ "column the project already writes)") }}
        {%- endif -%}
        {%- if (type | string | lower) not in sql_types -%}
            {{ exceptions.raise_compiler_error("var impression_context_columns: column " ~ name
                ~ " has type " ~ (type | tojson) ~ "; the types are integer, bigint, double, "
                ~ "boolean and string") }}
        {%- endif -%}
        {%- do columns.append({'name': name, 'type': type | string | lower,
            'sql_type': sql_types[type | string | lower]}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{% macro raw_schema_mode() %}
    {%- set mode = var('raw_schema_errors', 'fail') | string | lower -%}
    {%- if mode not in ['fail', 'quarantine'] -%}
        {{ exceptions.raise_compiler_error(
            "var raw_schema_errors must be fail or quarantine, got " ~ (mode | tojson)) }}
    {%- endif -%}
    {{ return(mode) }}
{% endmacro %}

{% macro date_var(name) %}
    {%- set value = var(name, none) -%}
    {%- if value is not none
        and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a date written YYYY-MM-DD, got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(none if value is none else value | string) }}
{% endmacro %}

{% macro refresh_dates() %}
    {%- set start = date_var('refresh_start_date') -%}
    {%- set end = date_var('refresh_end_date') -%}
    {%- if start is not none and end is not none and start > end -%}
        {{ exceptions.raise_compiler_error(
            "refresh_start_date (" ~ start ~ ") is after refresh_end_date (" ~ end ~ ")") }}
    {%- endif -%}
    {{ return({'start': start, 'end': end}) }}
{% endmacro %}

{% macro max_future_seconds() %}
    {{ return(((var('max_future_hours') | float) * 3600) | round | int) }}
{% endmacro %}
