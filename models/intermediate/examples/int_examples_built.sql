{#- One example per user, tweet and UTC day of the impression; the example's
    time is the first impression of that day, and its context (the
    impressions' context columns) that impression's. Incremental by day. -#}
{{ daily_incremental('event_date', rebuilds='rows') }}
{%- set context = impression_context_columns() %}

with

impressions as (

    select
        user_id,
        tweet_id,
        impression_date,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        impression_ts
    from {{ ref('stg_feed__impressions') }}
    {% if is_incremental() -%}
        where {{ in_rows_window('impression_date') }}
    {%- endif %}

),

examples as (

    select
        user_id,
        tweet_id,
        count(*) as impressions,
        impression_date as event_date,
        {% for column in context -%}
            {{ value_at_first(column.name, 'impression_ts') }} as {{ column.name }},
        {% endfor -%}
        min(impression_ts) as example_ts
    from impressions
    group by user_id, tweet_id, impression_date

)

select * from examples
