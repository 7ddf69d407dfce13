{#- Per tweet and UTC day: clean impressions and engagements per task, the
    input of the tweet features. -#}
{{ daily_activity('tweet_id') }}
