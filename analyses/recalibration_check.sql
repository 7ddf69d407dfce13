-- Recalibration by hand: the positive share of the downsampled train rows (p),
-- recalibrated with the negatives' sampling rate (w) as q = p / (p + (1 - p) / w),
-- lands on the true positive rate of the train days (all positives kept).
with

train_days as (

    select
        task,
        sum(positives) as positives,
        sum(examples) as examples,
        sum(kept_positives) as kept_positives,
        sum(kept_negatives) as kept_negatives,
        sum(negatives * negative_sampling_rate) / sum(negatives) as mean_negative_sampling_rate
    from {{ ref('daily_label_stats') }}
    where split = 'train'
    group by task

),

recalibrated as (

    select
        task,
        positives * 1.0 / examples as true_positive_rate,
        kept_positives * 1.0 / (kept_positives + kept_negatives) as downsampled_positive_rate,
        mean_negative_sampling_rate
    from train_days

)

select
    task,
    true_positive_rate,
    downsampled_positive_rate,
    downsampled_positive_rate / (
        downsampled_positive_rate
        + (1 - downsampled_positive_rate) / mean_negative_sampling_rate
    ) as recalibrated_positive_rate
from recalibrated
order by task
