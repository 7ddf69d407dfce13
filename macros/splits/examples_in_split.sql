{% macro examples_in_split(split_name) %}
    {#- The kept examples of the mature days assigned to one split.
        Incremental on both engines: a run deletes the refresh window's days
        and the days that left the split (as days mature, test days move to
        validation and validation days to train), then appends the split's days that are in
        the window or later than any day the table holds. The sampled history
        is never rewritten; changing the split vars needs --full-refresh. -#}
    {%- if split_name not in ['train', 'validation', 'test'] -%}
        {{ exceptions.raise_compiler_error(
            "examples_in_split: unknown split '" ~ split_name ~ "'") }}
    {%- endif -%}
    {%- set settings = {
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': "{{ delete_days_outside_split('" ~ split_name ~ "') }}",
        'meta': {'refresh_day_column': 'event_date'},
    } -%}
    {%- if target.type == 'spark' -%}
        {#- Spark: a parquet table partitioned by the day; the pre-hook drops
            the partitions of the days to rewrite. -#}
        {%- do settings.update({'file_format': 'parquet', 'partition_by': ['event_date']}) -%}
    {%- endif -%}
    {{ config(**settings) }}
{#- The days an incremental run appends: the window's, and any later than
    the table holds (every day when it holds none). The last day is read
    when the model compiles, so the filter is on literal days: Spark prunes
    the partitions of the tables it reads. The pre-hook deletes only window
    days (appended again) and days that left the split (not appended). -#}
{%- set days_to_append = 'true' -%}
{%- if is_incremental() -%}
    {%- set last_day = last_day_in(this) -%}
    {%- if last_day -%}
        {%- set days_to_append = '(' ~ in_refresh_window('event_date')
            ~ " or event_date > cast('" ~ last_day ~ "' as date))" -%}
    {%- endif -%}
{%- endif %}
with

split_days as (

    select event_date
    from {{ ref('int_mature_days_split') }}
    where split = '{{ split_name }}'

),

sampled_examples as (

    select
        task,
        user_id,
        tweet_id,
        label,
        sampling_rate,
        sample_weight,
        event_date,
        example_ts
    from {{ ref('int_examples_sampled') }}
    {% if is_incremental() -%}
        where {{ days_to_append }}
    {%- endif %}

),

features as (

    select * from {{ ref('int_example_features') }}
    {% if is_incremental() -%}
        where {{ days_to_append }}
    {%- endif %}

),

{# The example's features; the engagement counts of the row's own task
   (a model for task T reads rows of T). -#}
examples_in_split as (

    select
        sampled_examples.task,
        sampled_examples.user_id,
        sampled_examples.tweet_id,
        sampled_examples.label,
        sampled_examples.sampling_rate,
        sampled_examples.sample_weight,
        sampled_examples.event_date,
        sampled_examples.example_ts,
        features.user_impressions_28d,
        {{ of_row_task('sampled_examples.task', 'features.user_engagements_28d') }}
            as user_engagements_28d,
        features.tweet_impressions_7d,
        {{ of_row_task('sampled_examples.task', 'features.tweet_engagements_7d') }}
            as tweet_engagements_7d,
        features.user_tweet_seen_before,
        features.example_hour,
        features.example_day_of_week
    from sampled_examples
    inner join split_days
        on sampled_examples.event_date = split_days.event_date
    inner join features
        on
            sampled_examples.user_id = features.user_id
            and sampled_examples.tweet_id = features.tweet_id
            and sampled_examples.event_date = features.event_date

)

select * from examples_in_split
{% endmacro %}

{% macro delete_days_outside_split(split_name) %}
    {{- return(adapter.dispatch('delete_days_outside_split', 'feed_training_data')(
        split_name)) -}}
{% endmacro %}

{% macro default__delete_days_outside_split(split_name) %}
    {#- Pre-hook of a split mart: on an incremental run, delete the refresh
        window's days and the days no longer in the split. -#}
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

{% macro last_day_in(relation) %}
    {#- The latest event_date a table holds, as 'YYYY-MM-DD' (none when it
        holds no row, or while dbt parses). -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{- return(adapter.dispatch('last_day_in', 'feed_training_data')(relation)) -}}
{% endmacro %}

{% macro default__last_day_in(relation) %}
    {#- Spark: from the partition listing, without reading a file. -#}
    {%- set days = partition_days(relation) -%}
    {{ return(days | max if days else none) }}
{% endmacro %}

{% macro duckdb__last_day_in(relation) %}
    {%- set query -%}
        select cast(max(event_date) as varchar) from {{ relation }}
    {%- endset -%}
    {%- set value = run_query(query).columns[0].values()[0] -%}
    {{ return(value) }}
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

{% macro of_row_task(task_column, column_prefix) %}
    {#- The value of `<column_prefix>_<task>` for the row's task: one column
        of a set that has one per task (int_example_features). -#}
    case {{ task_column }}
        {%- for task in get_tasks() %}
            when '{{ task.name }}' then {{ column_prefix }}_{{ task.name }}
        {%- endfor %}
    end
{%- endmacro %}
