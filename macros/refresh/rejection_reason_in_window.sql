{% macro rejection_reason_in_window(source_name, window) %}
    {#- Why a raw row read by this run goes to the rejected rows, or null:
        - an invalid row of a day in the refresh window: its reject_reason;
        - a row without a day, from a file this run is the first to see:
          its reject_reason (null or invalid timestamp);
        - any row of a day before the window from a file first seen now:
          its reject_reason, or `too_late` when it is valid.
        On a full build every file is new and the window is everything. -#}
    {%- if not is_incremental() or window.mode in ['parse', 'full'] -%}
        reject_reason
    {%- else -%}
        {%- set is_new_file = raw_files_predicate(
            source_name, which='new', file_column='source_file') -%}
        case
            when row_date is null
                then case when {{ is_new_file }} then reject_reason end
            {% if window.start -%}
            when row_date < cast('{{ window.start }}' as date)
                then case when {{ is_new_file }} then coalesce(reject_reason, 'too_late') end
            {% endif -%}
            when {{ in_refresh_window('row_date', window) }} then reject_reason
        end
    {%- endif -%}
{%- endmacro %}
