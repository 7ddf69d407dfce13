{#- What a warning or failing data test found, written to the run's log;
    a test that stops the run instead says it in its error (sql_error). -#}

{% macro log_test_findings(results) %}
    {%- for result in results if execute and result.node.resource_type == 'test'
        and result.status in ['warn', 'fail'] and (result.node.config.meta or {}).get('log_findings') -%}
        {%- set found = run_query('select * from (' ~ result.node.compiled_code
            ~ ') as findings limit 20') -%}
        {%- for row in found.rows -%}
            {%- set fields = [] -%}
            {%- for name in found.column_names -%}
                {%- do fields.append(name ~ '=' ~ row[name]) -%}
            {%- endfor -%}
            {{ log('feed finding: ' ~ result.node.name ~ ': ' ~ (fields | join(', ')), info=true) }}
        {%- endfor -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{% macro sql_error(message_expression) %}
    {{- return(adapter.dispatch('sql_error', 'feed_training_data')(message_expression)) -}}
{% endmacro %}

{% macro default__sql_error(message_expression) %}
    {{- unsupported_adapter('sql_error') -}}
{% endmacro %}

{% macro duckdb__sql_error(message_expression) %}error({{ message_expression }}){% endmacro %}

{% macro spark__sql_error(message_expression) %}raise_error({{ message_expression }}){% endmacro %}
