{% macro days_to_append() %}
    {#- The incremental day predicate of a split mart, on event_date: the
        days a run appends. On a refresh, the window's days and any day later
        than the mart holds; `true` on a full build, or when the mart holds
        no row. The mart's last day is read when the model compiles, so the
        predicate is on literal days and Spark prunes the partitions of the
        tables it reads. The mart's pre-hook (delete_days_outside_split)
        deletes only window days (appended again) and days that left the
        split (not appended). Read it once per model: it runs a query. -#}
    {%- if not is_incremental() -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set last_day = last_day_in(this) -%}
    {%- if not last_day -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return('(' ~ in_refresh_window('event_date')
        ~ " or event_date > cast('" ~ last_day ~ "' as date))") }}
{% endmacro %}
