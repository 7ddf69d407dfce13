{% macro key_reject_reasons(timestamp_column) %}
    {#- The `when ... then '<reason>'` branches shared by both logs: the
        reasons the reject_reasons seed lists for `both`, in its order.
        Expects the raw columns beside `typed_<name>` ones. -#}
    when user_id is null then 'null_user_id'
    when typed_user_id is null then 'invalid_user_id'
    when tweet_id is null then 'null_tweet_id'
    when typed_tweet_id is null then 'invalid_tweet_id'
    when {{ timestamp_column }} is null then 'null_timestamp'
    when typed_{{ timestamp_column }} is null then 'invalid_timestamp'
    {#- A clock far ahead would move the watermark and the refresh window. -#}
    when typed_{{ timestamp_column }} > {{ add_seconds(
        "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)",
        ((var('max_future_hours') | float) * 3600) | round | int
    ) }} then 'future_timestamp'
{%- endmacro %}
