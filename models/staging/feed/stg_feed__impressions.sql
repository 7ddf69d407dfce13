{#- Clean impressions: valid rows with exact duplicates folded into one
    (`duplicates_removed` counts the extra copies), credited to the file
    that delivered it first (`source_file`: the first in delivery order,
    stg_feed_files__deliveries, not by name). Incremental by day: a refresh
    takes the days its new rows touch from the raw rows its run read. -#}
{{ daily_incremental('impression_date', rebuilds='rows') }}
{%- set context = impression_context_columns() %}

with

impressions as (

    select
        typed_user_id as user_id,
        typed_tweet_id as tweet_id,
        source_file,
        {% for column in context -%}
            {{ column.name }},
        {% endfor -%}
        typed_impression_ts as impression_ts
    from {{ ref('base_feed__impressions') }}
    where
        reject_reason is null
    {%- if is_incremental() %}
            and {{ in_rows_window('row_date') }}
        {%- endif %}

),

{# The log's files in the order they were delivered, ranked: a lookup in
   a table of a few rows. -#}
deliveries as (

    select
        source_file,
        file_rank
    from {{ ref('stg_feed_files__deliveries') }}
    where source_name = 'impressions'

),

impressions_ranked as (

    select
        impressions.*,
        deliveries.file_rank
    from impressions
    left join deliveries
        on impressions.source_file = deliveries.source_file

),

{# One row per event; its copies credited to the file delivered first,
   the lowest rank (an integer is cheaper to compare than a path). -#}
impressions_deduplicated as (

    select
        user_id,
        tweet_id,
        min(file_rank) as first_file_rank,
        count(*) - 1 as duplicates_removed,
        {#- Copies that disagree on a context column keep its smallest value. #}
        {% for column in context -%}
            min({{ column.name }}) as {{ column.name }},
        {% endfor -%}
        impression_ts
    from impressions_ranked
    group by user_id, tweet_id, impression_ts

),

impressions_credited as (

    select
        impressions_deduplicated.user_id,
        impressions_deduplicated.tweet_id,
        deliveries.source_file,
        impressions_deduplicated.duplicates_removed,
        {% for column in context -%}
            impressions_deduplicated.{{ column.name }},
        {% endfor -%}
        cast(impressions_deduplicated.impression_ts as date) as impression_date,
        impressions_deduplicated.impression_ts
    from impressions_deduplicated
    left join deliveries
        on impressions_deduplicated.first_file_rank = deliveries.file_rank

)

select * from impressions_credited
