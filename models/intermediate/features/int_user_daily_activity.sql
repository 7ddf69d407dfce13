{#- Per user and UTC day: clean impressions and engagements per task, the
    input of the user features. -#}
{{ daily_activity('user_id') }}
