{% macro raw_files_to_read(source_name, which='to_read', window=none) %}
    {#- The raw files of one log (paths under raw_path, sorted) that this
        invocation reads (which='to_read') or sees first (which='new'), or
        none for every file: as on-run-start planned them (the source
        feed_refresh.files). Computed instead when `window` is given (the
        planning itself) or when no plan exists (a `dbt compile` or a lint,
        which run no hooks). -#}
    {%- if window is none and execute -%}
        {%- set files = refresh_state('files') -%}
        {%- if load_relation(files) is not none -%}
            {%- set query -%}
                select planned.source_file, planned.is_new
                from {{ refresh_state('windows') }} as windows
                left join {{ files }} as planned
                    on
                        windows.invocation_id = planned.invocation_id
                        and planned.source_name = '{{ source_name }}'
                where windows.invocation_id = '{{ invocation_id }}'
            {%- endset -%}
            {%- set rows = run_query(query).rows -%}
            {%- if rows | length > 0 -%}
                {%- set selected = [] -%}
                {%- for row in rows -%}
                    {%- if row[0] is none and row[1] is sameas true -%}
                        {{ return(none) }}
                    {%- elif row[0] is not none and (which != 'new' or row[1]) -%}
                        {%- do selected.append(row[0]) -%}
                    {%- endif -%}
                {%- endfor -%}
                {{ return(selected | sort) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(compute_raw_files_to_read(source_name, which, window or refresh_window())) }}
{% endmacro %}
