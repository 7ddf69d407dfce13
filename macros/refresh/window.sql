{#- The refresh plan as the models read it: SQL over the planner's table
    (model refresh_plan), which every daily model has in its lineage. -#}

{% macro daily_incremental(day_column, also_delete_new_files=false, rebuilds='labels') %}
    {#- rebuilds: 'rows' (clean rows, and tables counted from them), 'labels', or
        the rows' days and, on the label window's earlier days, the rows
        reopened_rows names: 'engaged_pairs' or 'newly_kept'. -#}
    {%- if rebuilds not in ['rows', 'labels', 'engaged_pairs', 'newly_kept'] -%}
        {{ exceptions.raise_compiler_error("daily_incremental: rebuilds is rows, labels, "
            ~ "engaged_pairs or newly_kept, not " ~ rebuilds) }}
    {%- endif -%}
    {%- set settings = {'meta': {
        'refresh_day_column': day_column,
        'refresh_deletes_new_files': also_delete_new_files,
        'refresh_rebuilds': rebuilds,
    }} -%}
    {#- On Spark the day is also the partition the pre-hook drops. -#}
    {%- if target.type == 'spark' -%}
        {%- do settings.update({'partition_by': [day_column]}) -%}
    {%- endif -%}
    {{ config(**settings) }}
    {#- The plan is read in the model's SQL on a refresh only; the dependency
        holds on every build, so the planner always runs first (a unit test,
        which builds nothing incrementally, is given no plan). -#}
    {%- if not (execute and model.resource_type == 'unit_test') -%}
        {%- do ref('refresh_plan') -%}
    {%- endif -%}
{% endmacro %}

{% macro refresh_window_start(start_column='window_start') %}
    {#- A scalar subquery: DuckDB and Spark prune the days before it. A full
        build's window starts before any day. -#}
    {{- return("(select coalesce(min(" ~ start_column ~ "), cast('1000-01-01' as date)) from "
        ~ ref('refresh_plan') ~ ")") -}}
{% endmacro %}

{% macro rows_window_start() %}
    {{- return(refresh_window_start('rows_window_start')) -}}
{% endmacro %}

{% macro in_rows_window(day_column) %}
    {{- return(in_refresh_window(day_column, 'rows_window_start')) -}}
{% endmacro %}

{% macro reopened_rows(rebuilds, alias) %}
    {#- A predicate on a table's rows (under alias), on the label window's days
        before the new rows': 'engaged_pairs', a user and tweet with an
        engagement since (whose labels can change there); 'newly_kept', an
        example the draw no longer keeps for any task (nor the stream). -#}
    {{- return(adapter.dispatch('reopened_rows', 'feed_training_data')(rebuilds, alias)) -}}
{% endmacro %}

{% macro default__reopened_rows(rebuilds, alias) %}
    {#- Standard SQL: a table that takes a DELETE replaces just these rows. -#}
    {%- if rebuilds == 'engaged_pairs' %}
    exists (
        select 1 from {{ ref('int_engagements_attributed') }} as reopening
        where
            reopening.engagement_date >= {{ rows_window_start() }}
            and reopening.user_id = {{ alias }}.user_id
            and reopening.tweet_id = {{ alias }}.tweet_id
    )
    {%- else %}
    {%- for kept_by in ['int_examples_sampled', 'int_examples_streamed'] %}
    {{ 'and ' if not loop.first }}not exists (
        select 1 from {{ ref(kept_by) }} as kept
        where
            {#- The days bound again here: the engines skip the others. #}
            {{ reopened_days('kept.event_date') }}
            and kept.event_date = {{ alias }}.event_date
            and kept.user_id = {{ alias }}.user_id
            and kept.tweet_id = {{ alias }}.tweet_id
    )
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{% macro spark__reopened_rows(rebuilds, alias) %}
    {#- Parquet tables drop whole days: every row of the re-opened days. -#}
    true
{%- endmacro %}

{% macro refresh_window_end() %}
    {{- return("(select coalesce(max(window_end), cast('9999-12-31' as date)) from "
        ~ ref('refresh_plan') ~ ")") -}}
{% endmacro %}

{% macro in_refresh_window(day_column, start_column='window_start') %}
    {{- return('(' ~ day_column ~ ' >= ' ~ refresh_window_start(start_column) ~ ' and '
        ~ day_column ~ ' <= ' ~ refresh_window_end() ~ ')') -}}
{% endmacro %}

{% macro refreshed_rows(meta, alias) %}
    {#- The rows of a daily table (under alias) a refresh deletes, by its
        daily_incremental settings (meta): a list of predicates, one DELETE
        each (an OR of a day and a subquery would cost DuckDB a join of every
        row), each with its days first so that the engines skip the others. -#}
    {%- set day, rebuilds = alias ~ '.' ~ meta.refresh_day_column, meta.refresh_rebuilds -%}
    {%- set condition = (in_refresh_window if rebuilds == 'labels' else in_rows_window)(day) -%}
    {%- if meta.get('refresh_deletes_new_files') -%}
        {%- set condition = condition ~ ' or ' ~ alias ~ '.source_file in (select source_file from '
            ~ ref('refresh_plan') ~ ' where is_new and is_read)' -%}
    {%- endif -%}
    {%- set conditions = ['(' ~ condition ~ ')'] -%}
    {%- if rebuilds in ['engaged_pairs', 'newly_kept'] -%}
        {%- do conditions.append(reopened_days(day) ~ ' and ' ~ reopened_rows(rebuilds, alias)) -%}
    {%- endif -%}
    {{ return(conditions) }}
{% endmacro %}

{% macro reopened_days(day_column) %}
    {#- The label window's days before the first day the new rows touch. -#}
    {{- return('(' ~ in_refresh_window(day_column) ~ ' and ' ~ day_column ~ ' < '
        ~ rows_window_start() ~ ')') -}}
{% endmacro %}

{% macro is_new_raw_file(source_name, file_column='source_file') %}
    {{- return('(' ~ file_column ~ " in (select source_file from " ~ ref('refresh_plan')
        ~ " where source_name = '" ~ source_name ~ "' and is_new and is_read))") -}}
{% endmacro %}

{% macro days_to_append(as_planned=false) %}
    {#- The days int_examples_with_features writes: every day on a full build;
        on a refresh, the window's days and any day later than the table holds.
        The model reads that from the table (a selection run with an older plan
        appends nothing twice), its marts' tests (as_planned) from the plan. -#}
    {%- if not (as_planned or is_incremental()) -%}{{ return('true') }}{%- endif -%}
    {%- set later = "coalesce((select " ~ ('max(appends_from) from ' ~ ref('refresh_plan')
        if as_planned else add_days('max(event_date)', 1) ~ ' from ' ~ this)
        ~ "), cast('1000-01-01' as date))" -%}
    {{ return('(event_date >= least(' ~ refresh_window_start() ~ ', ' ~ later
        ~ ') and (event_date <= ' ~ refresh_window_end() ~ ' or event_date >= ' ~ later ~ '))') }}
{% endmacro %}
