{% macro refresh_state_table_options() %}
    {{- return(adapter.dispatch('refresh_state_table_options', 'feed_training_data')()) -}}
{% endmacro %}

{% macro default__refresh_state_table_options() %}{% endmacro %}

{% macro spark__refresh_state_table_options() %}using parquet{% endmacro %}
