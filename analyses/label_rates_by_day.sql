-- Label rate per task and day, with the weekday, and the share of the day's
-- examples kept: watch for a broken log (a rate that jumps) or a cap that binds.
select
    task,
    split,
    examples,
    positives,
    positive_rate,
    negative_sampling_rate,
    event_date,
    dayname(event_date) as day_of_week,
    (kept_positives + kept_negatives) * 1.0 / examples as kept_share
from {{ ref('daily_label_stats') }}
order by task, event_date
