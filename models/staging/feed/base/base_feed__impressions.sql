{#- The raw impressions this run reads, typed, each with the reason it is
    rejected (null when it is valid), in one pass over the files. A table,
    rebuilt by every run: every raw file on a full build, on a refresh the
    files new since the last completed run and those holding rows of the
    refresh window's days. The clean, rejected and ledger models all read
    this table, so each raw row is read and validated once per run. -#}
{#- A row may land in the rejected rows when it is invalid or, on a refresh,
    of a day before the window (too late when its file is new). -#}
{%- set may_be_rejected = '(reject_reason is not null'
    ~ ' or cast(typed_impression_ts as date) < ' ~ rows_window_start() ~ ')' %}
{#- The context columns (var impression_context_columns), typed. -#}
{%- set context = impression_context_columns() %}

with

source as (

    {#- Only the files this run needs: the others are not opened. #}
    select * from {{ raw_source('impressions') }}

),

typed as (

    select
        user_id,
        tweet_id,
        {{ cast_id('user_id') }} as typed_user_id,
        {{ cast_id('tweet_id') }} as typed_tweet_id,
        source_file,
        file_row_number,
        impression_ts,
        {% for column in context -%}
            cast({{ column.name }} as {{ column.sql_type }}) as {{ column.name }},
        {% endfor -%}
        {{ cast_utc_timestamp('impression_ts') }}
            as typed_impression_ts
    from source

),

classified as (

    select
        typed_user_id,
        typed_tweet_id,
        user_id,
        tweet_id,
        impression_ts,
        source_file,
        file_row_number,
        case
            {{ key_reject_reasons('impression_ts') }}
        end as reject_reason,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        typed_impression_ts
    from typed

),

{# The raw values as text only for rows that may land in the rejected rows
   (rejected, or too late on a refresh): a valid row's typed values say the
   same. -#}
rows_read as (

    select
        typed_user_id,
        typed_tweet_id,
        case
            when {{ may_be_rejected }}
                then {{ dbt.cast('user_id', dbt.type_string()) }}
        end as raw_user_id,
        case
            when {{ may_be_rejected }}
                then {{ dbt.cast('tweet_id', dbt.type_string()) }}
        end as raw_tweet_id,
        case
            when {{ may_be_rejected }}
                then {{ dbt.cast('impression_ts', dbt.type_string()) }}
        end as raw_impression_ts,
        source_file,
        case
            when {{ may_be_rejected }} then file_row_number
        end as source_row_number,
        reject_reason,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        cast(typed_impression_ts as date) as row_date,
        typed_impression_ts
    from classified

)

select * from rows_read
