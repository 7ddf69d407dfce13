{#- Every raw engagement, typed and with its action folded and mapped, with
    the reason it is rejected (null when it is valid). -#}
{{ config(meta={'refresh_raw_source': 'engagements'}) }}

with

source as (

    select * from {{ source('feed', 'engagements') }}

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
        {{ source_file_name() }} as source_path,
        {{ relative_source_file(source_file_name()) }} as source_file,
        engagement_ts,
        {{ cast_utc_timestamp('engagement_ts') }}
            as typed_engagement_ts
    from source

),

{# A lookup against a seven-row seed: the one join staging allows itself. -#}
actions_mapped as (

    select
        typed.*,
        action_aliases.action as canonical_action
    from typed
    left join action_aliases
        on typed.folded_action = action_aliases.alias

),

classified as (

    select
        typed_user_id,
        typed_tweet_id,
        canonical_action,
        {{ dbt.cast('user_id', dbt.type_string()) }} as raw_user_id,
        {{ dbt.cast('tweet_id', dbt.type_string()) }} as raw_tweet_id,
        {{ dbt.cast('action', dbt.type_string()) }} as raw_action,
        {{ dbt.cast('engagement_ts', dbt.type_string()) }} as raw_engagement_ts,
        source_path,
        source_file,
        case
            {{ key_reject_reasons('engagement_ts') }}
            when folded_action is null or folded_action = '' then 'null_action'
            when canonical_action is null then 'unknown_action'
        end as reject_reason,
        typed_engagement_ts
    from actions_mapped

)

select * from classified
