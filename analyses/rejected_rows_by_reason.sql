-- What staging rejected, per log, reason and day, with one example row each.
select
    source_name,
    reject_reason,
    row_date,
    count(*) as rejected_rows,
    min(source_file) as example_file,
    min(raw_user_id) as example_raw_user_id,
    min(raw_action) as example_raw_action
from {{ ref('stg_feed__rejected_rows') }}
group by source_name, reject_reason, row_date
order by source_name, reject_reason, row_date
