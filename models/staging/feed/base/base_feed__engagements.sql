{#- The raw engagements this run reads, typed, with the action folded and
    mapped, each with the reason it is rejected (null when it is valid), in
    one pass over the files. A table rebuilt by every run, over the same files
    as base_feed__impressions (see there). -#}
{#- A row may land in the rejected rows when it is invalid or, on a refresh,
    of a day before the window (too late when its file is new). -#}
{%- set may_be_rejected = '(reject_reason is not null'
    ~ ' or cast(typed_engagement_ts as date) < ' ~ rows_window_start() ~ ')' %}

with

source as (

    {#- Only the files this run needs: the others are not opened. #}
    select * from {{ raw_source('engagements') }}

),

action_aliases as (

    select
        alias,
        action
    from {{ ref('action_aliases') }}

),

typed as (

    select
        user_id,
        tweet_id,
        action,
        {{ cast_id('user_id') }} as typed_user_id,
        {{ cast_id('tweet_id') }} as typed_tweet_id,
        lower(trim({{ dbt.cast('action', dbt.type_string()) }})) as folded_action,
        source_file,
        file_row_number,
        engagement_ts,
        {{ cast_utc_timestamp('engagement_ts') }}
            as typed_engagement_ts
    from source

),

{# A lookup against a small seed: the one join staging allows itself. -#}
actions_mapped as (

    select
        typed.*,
        {{ canonical_action('typed.folded_action', 'action_aliases.action') }}
            as canonical_action
    from typed
    left join action_aliases
        on typed.folded_action = action_aliases.alias

),

classified as (

    select
        typed_user_id,
        typed_tweet_id,
        canonical_action,
        user_id,
        tweet_id,
        action,
        engagement_ts,
        source_file,
        file_row_number,
        case
            {{ key_reject_reasons('engagement_ts') }}
            when folded_action is null or folded_action = '' then 'null_action'
            when canonical_action is null then 'unknown_action'
        end as reject_reason,
        typed_engagement_ts
    from actions_mapped

),

{# The raw values as text only for rows that may land in the rejected rows. -#}
rows_read as (

    select
        typed_user_id,
        typed_tweet_id,
        canonical_action,
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
                then {{ dbt.cast('action', dbt.type_string()) }}
        end as raw_action,
        case
            when {{ may_be_rejected }}
                then {{ dbt.cast('engagement_ts', dbt.type_string()) }}
        end as raw_engagement_ts,
        source_file,
        case
            when {{ may_be_rejected }} then file_row_number
        end as source_row_number,
        reject_reason,
        cast(typed_engagement_ts as date) as row_date,
        typed_engagement_ts
    from classified

)

select * from rows_read
