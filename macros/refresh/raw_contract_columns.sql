{% macro raw_contract_columns(source_name) %}
    {#- The columns a raw file of the log must have, each with the types that
        hold it (engine type names) and how the contract says it. -#}
    {%- set id = {
        'types': ['tinyint', 'smallint', 'integer', 'int', 'bigint',
                  'utinyint', 'usmallint', 'uinteger', 'varchar', 'string'],
        'expected': 'an integer or a string',
    } -%}
    {%- set timestamp = {
        'types': ['timestamp', 'timestamp with time zone', 'timestamp_ns', 'timestamp_ms',
                  'timestamp_s', 'timestamp_ntz', 'varchar', 'string'],
        'expected': 'a timestamp or an ISO 8601 string',
    } -%}
    {%- set text = {'types': ['varchar', 'string'], 'expected': 'a string'} -%}
    {%- set columns = {'user_id': id, 'tweet_id': id} -%}
    {%- if source_name == 'impressions' -%}
        {%- do columns.update({'impression_ts': timestamp}) -%}
    {%- else -%}
        {%- do columns.update({'action': text, 'engagement_ts': timestamp}) -%}
    {%- endif -%}
    {{ return(columns) }}
{% endmacro %}
