{#- Every raw impression, typed, with the reason it is rejected (null when it
    is valid). Both the clean and the rejected staging models read this. -#}
{{ config(meta={'refresh_raw_source': 'impressions'}) }}

with

source as (

    select * from {{ source('feed', 'impressions') }}

),

typed as (

    select
        user_id,
        tweet_id,
        {{ cast_id('user_id') }} as typed_user_id,
        {{ cast_id('tweet_id') }} as typed_tweet_id,
        {{ source_file_name() }} as source_path,
        {{ relative_source_file(source_file_name()) }} as source_file,
        impression_ts,
        {{ cast_utc_timestamp('impression_ts') }}
            as typed_impression_ts
    from source

),

classified as (

    select
        typed_user_id,
        typed_tweet_id,
        {{ dbt.cast('user_id', dbt.type_string()) }} as raw_user_id,
        {{ dbt.cast('tweet_id', dbt.type_string()) }} as raw_tweet_id,
        {{ dbt.cast('impression_ts', dbt.type_string()) }} as raw_impression_ts,
        source_path,
        source_file,
        case
            {{ key_reject_reasons('impression_ts') }}
        end as reject_reason,
        typed_impression_ts
    from typed

)

select * from classified
