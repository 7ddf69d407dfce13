{% macro feature_lookback_days() %}
    {#- The longest look-back of a feature, in days: a feature of day D reads
        clean events of [D - 28 days, D). -#}
    {{ return(28) }}
{% endmacro %}
