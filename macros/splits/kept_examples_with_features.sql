{% macro kept_examples_with_features(days) %}
    {#- Three CTEs shared by the split marts, to be placed in a mart's `with`
        list: sampled_examples (the kept examples of `days`, a predicate on
        event_date), features (theirs) and examples_with_features (each kept
        example with its point-in-time features, the engagement counts taken
        for the row's own task). Ends with a comma. -#}
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
    where {{ days }}

),

features as (

    select * from {{ ref('int_example_features') }}
    where {{ days }}

),

{# Of the per-task engagement counts, those of the row's own task (a model
   for task T trains on the rows of T). -#}
examples_with_features as (

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
    inner join features
        on
            sampled_examples.user_id = features.user_id
            and sampled_examples.tweet_id = features.tweet_id
            and sampled_examples.event_date = features.event_date

),
{% endmacro %}
