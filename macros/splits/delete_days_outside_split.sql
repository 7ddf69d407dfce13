{% macro delete_days_outside_split() %}
    {#- Pre-hook of the marts folder (dbt_project.yml): on an incremental run
        of a split mart (its meta's `split`), delete the refresh window's days
        (appended again by the run) and the days no longer in the split (as
        days mature, test days move to validation and validation days to
        train). Nothing on a full build, nor for a mart without a split. -#}
    {%- set split_name = model.config.get('meta', {}).get('split') if execute else none -%}
    {%- if not split_name -%}
        {{ return('') }}
    {%- endif -%}
    {{- return(adapter.dispatch('delete_days_outside_split', 'feed_training_data')(
        split_name)) -}}
{% endmacro %}

{% macro default__delete_days_outside_split(split_name) %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where
        {{ in_refresh_window('event_date') }}
        or event_date not in (
            select event_date
            from {{ ref('int_mature_days_split') }}
            where split = '{{ split_name }}'
        )
{% endmacro %}

{% macro spark__delete_days_outside_split(split_name) %}
    {#- Spark parquet tables cannot DELETE: drop the partitions of the refresh
        window's days and of the days no longer in the split. -#}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- do spark__delete_refresh_window('event_date') -%}
    {%- set split_days = [] -%}
    {%- set query -%}
        select cast(event_date as string) from {{ ref('int_mature_days_split') }}
        where split = {{ sql_string(split_name) }}
    {%- endset -%}
    {%- for row in run_query(query).rows -%}
        {%- do split_days.append(row[0] | string) -%}
    {%- endfor -%}
    {%- for day in partition_days(this) -%}
        {%- if day not in split_days -%}
            {%- do run_query(
                'alter table ' ~ this ~ " drop if exists partition (event_date = '" ~ day ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
