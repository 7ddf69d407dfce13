-- Engagements per day that labelled an example and those that did not, by
-- reason: a jump in no_prior_impression points at a missing impression file.
select
    engagement_date,
    count(*) as engagements,
    count(case when is_attributed then 1 end) as attributed,
    count(case when unattributed_reason = 'no_prior_impression' then 1 end)
        as no_prior_impression,
    count(case when unattributed_reason = 'outside_label_window' then 1 end)
        as outside_label_window
from {{ ref('int_engagements_attributed') }}
group by engagement_date
order by engagement_date
