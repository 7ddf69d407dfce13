{% macro plan_raw_files(source_name, window) %}
    {#- on-run-start (from plan_refresh_window): write the raw files of one
        log that this invocation reads into feed_refresh.files, each marked
        new or not (see compute_raw_files_to_read); one row without a file
        when it reads every file. Inserted 500 rows per statement. -#}
    {%- set to_read = compute_raw_files_to_read(source_name, 'to_read', window) -%}
    {%- set rows = [] -%}
    {%- if to_read is none -%}
        {%- do rows.append("null, true") -%}
    {%- else -%}
        {%- set new_files = compute_raw_files_to_read(source_name, 'new', window) -%}
        {%- for file in to_read -%}
            {%- do rows.append(sql_string(file) ~ ", " ~ ('true' if file in new_files else 'false')) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for chunk in rows | batch(500) -%}
        {%- set values = [] -%}
        {%- for row in chunk -%}
            {%- do values.append("('" ~ invocation_id ~ "', '" ~ source_name ~ "', " ~ row
                ~ ", " ~ dbt.current_timestamp() ~ ")") -%}
        {%- endfor -%}
        {%- do run_query('insert into ' ~ refresh_state('files') ~ ' values '
            ~ (values | join(', '))) -%}
    {%- endfor -%}
{% endmacro %}
