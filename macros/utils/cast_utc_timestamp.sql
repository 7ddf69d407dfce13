{% macro cast_utc_timestamp(column) %}
    {{- return(adapter.dispatch('cast_utc_timestamp', 'feed_training_data')(column)) -}}
{% endmacro %}

{% macro default__cast_utc_timestamp(column) %}
    {#- Spark: timestamps are instants shown in the session time zone (UTC in
        this project's profile); an offset in a string is honoured. -#}
    try_cast({{ column }} as timestamp)
{%- endmacro %}

{% macro duckdb__cast_utc_timestamp(column) %}
    {#- Through timestamptz so that an offset in a string ('...+02:00') or a
        time-zone-aware column is converted to UTC (the profile sets the
        session TimeZone to UTC); a naive value is taken as UTC. A column the
        file already stores as a naive timestamp is taken as it is (the type
        test folds to a constant). -#}
    case
        when typeof({{ column }}) = 'TIMESTAMP' then try_cast({{ column }} as timestamp)
        else cast(try_cast({{ column }} as timestamptz) as timestamp)
    end
{%- endmacro %}
