{% macro raw_files_predicate(source_name, file_column, which='to_read', window=none) %}
    {#- A predicate on the raw file a row came from, true for the files of
        raw_files_to_read(source_name, which, window): `true` when that is
        every file. The ledger keys files by their path under raw_path, so
        moving the logs to another folder does not make every file new.
        `file_column` holds that path under raw_path (`source_file`), or the
        path as the reader gives it. -#}
    {%- set files = raw_files_to_read(source_name, which, window) -%}
    {%- if files is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if files | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append(sql_string(file)) -%}
    {%- endfor -%}
    {%- set relative = file_column if file_column == 'source_file'
        else relative_source_file(file_column) -%}
    {{ return(relative ~ ' in (' ~ (quoted | join(', ')) ~ ')') }}
{% endmacro %}
