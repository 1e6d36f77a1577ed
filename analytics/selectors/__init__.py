"""Every number on the dashboard, as defined in docs/metrics.md.

Each selector starts from the viewer's scope (`dashboard_deals`: a rep sees their own
deals, a manager their teams', an admin all) with the dashboard's FilterSet applied,
and answers with a `Section` whose table rows and chart data come from the same query.
Counts and sums are SQL aggregates; medians and percentiles are taken in Python over
one fetched column (SQLite has no percentile function), never with a query per row.

One module per metric family (docs/architecture.md, "The dashboard's selectors"): `base` (scope
and shared helpers), `funnel`, `outcomes`, `forecast`, `trend`, `conversion_trend`, `time_in_stage`, `sources` (lead
sources and lost reasons), `activities`, `objections`, and `dashboard` (the orchestration and its cache).
Callers import the module they need: `from analytics.selectors import dashboard, funnel`.
"""
