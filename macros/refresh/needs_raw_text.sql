{% macro needs_raw_text(typed_timestamp_column) %}
    {#- A predicate of a base model: the row may land in the rejected rows, so
        it keeps its raw values as text. True for a rejected row and, on a
        refresh, for a row of a day before the window (it is `too_late` when
        its file is new); a valid row of the window is stored typed only. -#}
    {%- set window = refresh_window() -%}
    {%- if window.mode in ['scheduled', 'explicit'] and window.start -%}
        (reject_reason is not null
        or cast({{ typed_timestamp_column }} as date) < cast('{{ window.start }}' as date))
    {%- else -%}
        (reject_reason is not null)
    {%- endif -%}
{%- endmacro %}
