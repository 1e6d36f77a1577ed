"""The dashboard's orchestration: which sections it shows, in which order, and the shared cache
that keeps the answer per scope, filters, day, language and data version.

Each metric family lives in its own module of this package; a new family adds its module and
one entry in `SECTIONS` and `_dashboard_payload`.
"""

import hashlib

from django.core.cache import cache
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from activities.models import Activity
from analytics import nurturing_section, quote_metrics, roi, sessions
from analytics.models import DailySnapshot
from analytics.selectors import (
    activities,
    base,
    conversion_trend,
    forecast,
    funnel,
    objections,
    outcomes,
    sources,
    time_in_stage,
    trend,
)
from analytics.visits import visits_sync
from deals.models import CloseDateChange, Deal, Stage, StageChange, StageHealth
from leads.models import Campaign, Lead, LeadStatusChange, SourceCost
from nurturing.models import Send, TrackingEvent
from quotes.models import QuoteEvent

DASHBOARD_CACHE_SECONDS = 15 * 60


SECTIONS = (
    "funnel",
    "nurturing",
    "forecast",
    "calibration",
    "trend",
    "conversion_trend",
    "time_in_stage",
    "lost_reasons",
    "objections_by_stage",
    "objections_by_outcome",
    "quotes",
    "lead_sources",
    "lead_roi",
    "activities",
)


def dashboard(*, user, filterset, only=None, now=None, trend_grain=conversion_trend.DEFAULT_GRAIN):
    """Everything the dashboard shows: KPI tiles and its sections (or only one section, for CSV).

    Queries (full dashboard): default pipeline (when none is picked), stages, the stage visits'
    watermark (analytics.visits: one query when the visits are current, their incremental sync
    otherwise — before the data version, so the version names the history they reflect), the data
    version; then, unless the shared cache holds the answer for this scope, these filters and this
    data version: funnel, outcomes (period), outcomes (90 days), slippage (2), forecast, observed
    probability (cached on its own), snapshots, visit durations, open ages, stage health, lost
    reasons, objections (2: analytics/selectors/objections.py), quotes, nurturing (3:
    analytics/nurturing_section.py), lead sources, lead source cost and ROI (3: analytics/roi.py),
    activities, conversion trend (by `trend_grain`). A CSV export (`only`) reads the live tables (its funnel,
    time in stage and observed probabilities sync the visits first).
    """
    now = now or timezone.now()
    criteria = filterset.criteria()
    deals = base.dashboard_deals(user=user, filterset=filterset)
    wanted = set(SECTIONS) if only is None else {only}
    needs_stages = (
        wanted
        & {
            "funnel",
            "forecast",
            "calibration",
            "time_in_stage",
            "lost_reasons",
            "conversion_trend",
            "objections_by_stage",
        }
        or only is None
    )
    trend_grain = trend_grain if trend_grain in conversion_trend.GRAINS else conversion_trend.DEFAULT_GRAIN
    pipeline = base.chart_pipeline(criteria) if needs_stages else None
    all_stages = (
        list(
            Stage.objects.select_related("pipeline").order_by("pipeline__order", "order").fetch_mode(models.FETCH_RAISE)
        )
        if needs_stages
        else []
    )
    stages = [s for s in all_stages if pipeline and s.pipeline_id == pipeline.pk]
    if only is None and needs_stages:
        # The materialized visits first: the data version then names the history they reflect.
        visits_sync()
    compute = {
        "user": user,
        "criteria": criteria,
        "deals": deals,
        "wanted": wanted,
        "pipeline": pipeline,
        "all_stages": all_stages,
        "stages": stages,
        "now": now,
        "trend_grain": trend_grain,
    }
    if only is None:
        key = _dashboard_cache_key(
            user=user, deals=deals, criteria=criteria, stages=all_stages, pipeline=pipeline, now=now
        )
        key += f":{trend_grain}"
        payload = cache.get(key)
        if payload is None:
            with sessions.analytical_transaction():  # PostgreSQL: no JIT, sorts in memory (+1 query)
                payload = _dashboard_payload(**compute)
            cache.set(key, payload, DASHBOARD_CACHE_SECONDS)
        else:
            _age_open_deals(payload, stages=stages, now=now)
    else:
        payload = _dashboard_payload(**compute)
    sections = payload["sections"]
    result = {"criteria": criteria, "pipeline": pipeline, "sections": [sections[n] for n in SECTIONS if n in sections]}
    if only is None:
        result["kpis"] = payload["kpis"]
    return result


def _dashboard_payload(*, user, criteria, deals, wanted, pipeline, all_stages, stages, now, trend_grain):
    """The sections and KPI tiles from the live tables (what the shared cache keeps)."""
    full = wanted == set(SECTIONS)
    sections = {}
    if "funnel" in wanted:
        sections["funnel"] = funnel.funnel_section(
            deals=deals, criteria=criteria, pipeline=pipeline, stages=stages, sync=not full
        )
    observed = {}
    if wanted & {"forecast", "calibration"}:
        observed = forecast.observed_probabilities_cached(deals=deals, now=now, sync=not full)
    rows = []
    if "forecast" in wanted:
        rows = forecast.forecast_rows(deals=deals, today=timezone.localdate(now))
        sections["forecast"] = forecast.forecast_section(
            rows=rows, stage_by_id={s.pk: s for s in all_stages}, observed=observed, criteria=criteria
        )
    if "calibration" in wanted:
        sections["calibration"] = forecast.calibration_section(stages=stages, observed=observed)
        sections["calibration"].note = pipeline.name if pipeline else ""
        if scoping.is_admin(user):
            sections["calibration"].link = (reverse("admin:deals_stage_changelist"), _("Edit stage probabilities"))
    if "trend" in wanted:
        sections["trend"] = trend.trend_section(user=user, criteria=criteria)
    if "conversion_trend" in wanted:
        sections["conversion_trend"] = conversion_trend.conversion_trend_section(
            deals=deals,
            criteria=criteria,
            pipeline=pipeline,
            stages=stages,
            today=timezone.localdate(now),
            grain=trend_grain,
            sync=not full,
        )
    marks = {}
    if "time_in_stage" in wanted:
        marks = time_in_stage.open_age_marks(deals=deals, stages=stages)
        sections["time_in_stage"] = time_in_stage.time_in_stage_section(
            deals=deals, criteria=criteria, stages=stages, now=now, marks=marks, sync=not full
        )
        sections["time_in_stage"].note = pipeline.name if pipeline else ""
    if "lost_reasons" in wanted:
        sections["lost_reasons"] = sources.lost_reasons_section(deals=deals, criteria=criteria, pipeline=pipeline)
    if "objections_by_stage" in wanted:
        sections["objections_by_stage"] = objections.objections_by_stage_section(
            deals=deals, criteria=criteria, pipeline=pipeline
        )
    if "objections_by_outcome" in wanted:
        sections["objections_by_outcome"] = objections.objections_by_outcome_section(deals=deals, criteria=criteria)
    if "quotes" in wanted:
        sections["quotes"] = quote_metrics.quotes_section(deals=deals, criteria=criteria, today=timezone.localdate(now))
    if "nurturing" in wanted:
        sections["nurturing"] = nurturing_section.nurturing_section(user=user, criteria=criteria)
    if "lead_sources" in wanted:
        sections["lead_sources"] = sources.lead_source_section(user=user, criteria=criteria)
    if "lead_roi" in wanted:
        sections["lead_roi"] = roi.roi_section(
            user=user, criteria=criteria, lead_q=sources.lead_q(user=user, criteria=criteria)
        )
    if "activities" in wanted:
        sections["activities"] = activities.activities_section(user=user, criteria=criteria, deals=deals)
    payload = {"sections": sections, "open_age_marks": marks}
    if full:
        payload["kpis"] = outcomes.kpis(deals=deals, criteria=criteria, forecast=rows, now=now)
    return payload


def _age_open_deals(payload, *, stages, now):
    """A cached time-in-stage table states the open deals' median age as of this request."""
    section, marks = payload["sections"].get("time_in_stage"), payload["open_age_marks"]
    if section is None:
        return
    for row, stage in zip(section.rows, stages, strict=True):
        row[time_in_stage.OPEN_AGE_COLUMN] = base.days_from_seconds(
            time_in_stage.median_age_seconds(marks[stage.pk], now)
        )


_VERSION_SOURCES = (
    # (table, column): every write the dashboard reads moves one of these.
    (StageChange, "id"),  # moves, wins, losses, reopenings (append-only)
    (Deal, "id"),  # new deals
    (Deal, "updated_at"),  # every change of a deal (value, owner, close date, …, its objections), set by its services
    (CloseDateChange, "id"),  # slippage (append-only)
    (Lead, "updated_at"),  # new and changed leads
    (LeadStatusChange, "id"),  # qualifications (append-only)
    (Activity, "updated_at"),  # completed activities
    (DailySnapshot, "id"),  # a rollup rewrites a day with new rows
    (StageHealth, "computed_at"),  # the bottleneck verdicts (every 15 minutes)
    (QuoteEvent, "id"),  # quotes sent, answered, expired (append-only; every change of a quote's state)
    (Send, "id"),  # marketing e-mails (their delivery and replies are stamped later: cached ≤ 15 minutes)
    (TrackingEvent, "id"),  # clicks and opens (append-only)
    (Campaign, "id"),  # new campaigns (a changed cost shows within the cache's 15 minutes)
    (SourceCost, "id"),  # new monthly source costs
)


def data_version():
    """One cheap query: the newest row or change of every table behind the dashboard.

    Each part is the MAX of a primary key or an indexed timestamp (an index lookup, whatever the
    size of the history), so a changed deal changes the version and the next request recomputes.
    """
    quote = connection.ops.quote_name
    parts = ", ".join(
        f"(SELECT MAX({quote(column)}) FROM {quote(model._meta.db_table)})"  # noqa: S608 (names from the models)
        for model, column in _VERSION_SOURCES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return tuple(str(value) for value in cursor.fetchone())


def _dashboard_cache_key(*, user, deals, criteria, stages, pipeline, now):
    """Scope (the scoped, filtered deal query itself), filters, day, language, stages and data version."""
    sql, params = base.deal_ids_sql(deals)
    parts = [
        sql,
        repr(params),
        repr(scoping.is_admin(user)),
        repr(criteria.query_items()),
        timezone.localdate(now).isoformat(),
        translation.get_language() or "",
        repr(pipeline and (pipeline.pk, pipeline.name)),
        repr([(s.pk, s.pipeline_id, s.name, s.order, s.probability, s.pipeline.name) for s in stages]),
        repr(data_version()),
    ]
    return "analytics:dashboard:" + hashlib.sha256("|".join(parts).encode()).hexdigest()
