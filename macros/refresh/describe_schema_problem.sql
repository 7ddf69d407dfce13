{% macro describe_schema_problem(problem) %}
    {#- One schema problem as a sentence. -#}
    {%- if problem.found is none -%}
        {{ return(problem.source_file ~ ": required column " ~ problem.column
            ~ " is missing (expected " ~ problem.expected ~ ")") }}
    {%- endif -%}
    {{ return(problem.source_file ~ ": column " ~ problem.column ~ " is "
        ~ problem.found ~ ", expected " ~ problem.expected) }}
{% endmacro %}
