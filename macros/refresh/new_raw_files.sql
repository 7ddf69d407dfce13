{% macro new_raw_files(source_name, ledger=none) %}
    {#- The raw files of one log (paths under raw_path) that `ledger` does not
        hold as they are now (never seen, or changed since): all files when
        ledger is none. -#}
    {%- set files = [] -%}
    {%- for file in raw_files_against_ledger(source_name, ledger)
        if file.status in ['new', 'changed'] -%}
        {%- do files.append(file.source_file) -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}
