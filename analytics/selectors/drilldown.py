"""Drill-down: the deals behind one figure of the dashboard (docs/metrics.md, "Drill-down").

Every metric key names one scoped selector that returns exactly the queryset the figure counts or
sums, built from the same functions (and, for the funnel, the same SQL) as the figure itself, with
the dashboard's filters read by the same FilterSet. The sections link their cells and bars here with
`base.drill_url(criteria, metric, **bucket)`; a bucket the metric does not know answers 400.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.db.models import Count, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.selectors import base, conversion_trend, funnel, objections, sources, time_in_stage
from deals.models import Deal, LostReason, Objection, Stage
from leads.models import Lead

METRICS = {
    "funnel": _("Conversion funnel"),
    "forecast": _("Forecast by expected close month"),
    "open_in_stage": _("Open deals in the stage"),
    "lost": _("Lost reasons by stage"),
    "lead_won": _("Won deals from lead sources"),
    "open": _("Open deals"),
    "won": _("Deals won in the period"),
    "closed": _("Deals won or lost in the period"),
    "conversion": _("Conversion trend by stage"),
    "stage_visits": _("Completed visits to the stage"),
    "new": _("Deals created in the period"),
    "objections": _("Deals with objections"),
}
FUNNEL_OUTCOMES = {
    "entered": _("entered"),
    "advanced": _("advanced"),
    "lost": _("lost here"),
    "open": _("still open"),
}


class BucketForm(forms.Form):
    """The drill-down's own parameters beside the dashboard's filters; which are required depends on
    the metric (`deals_behind`)."""

    metric = forms.ChoiceField(choices=list(METRICS.items()))
    # Named apart from the dashboard's own filters (stage, source), which apply as well.
    in_stage = forms.ModelChoiceField(queryset=Stage.objects.select_related("pipeline"), required=False)
    outcome = forms.ChoiceField(choices=list(FUNNEL_OUTCOMES.items()), required=False)
    bucket = forms.RegexField(regex=r"^(overdue|none|\d{4}-(0[1-9]|1[0-2]))$", required=False)
    reason = forms.ModelChoiceField(queryset=LostReason.objects.all(), required=False)
    lost_from = forms.ModelChoiceField(queryset=Stage.objects.all(), required=False)
    lead_source = forms.ChoiceField(choices=Lead.Source.choices, required=False)
    campaign = forms.CharField(max_length=200, required=False, strip=False)
    grain = forms.ChoiceField(choices=list(conversion_trend.GRAINS.items()), required=False)
    period_start = forms.DateField(required=False)
    exit_outcome = forms.ChoiceField(choices=list(conversion_trend.EXITS.items()), required=False)
    objection_kind = forms.ChoiceField(choices=Objection.Kind.choices, required=False)
    deal_outcome = forms.ChoiceField(choices=Deal.Status.choices, required=False)

    REQUIRED = {
        "funnel": ("in_stage", "outcome"),
        "forecast": ("bucket",),
        "open_in_stage": ("in_stage",),
        "lost": ("reason", "lost_from"),
        "lead_won": ("lead_source",),
        "conversion": ("in_stage", "grain", "period_start", "exit_outcome"),
        "stage_visits": ("in_stage",),
    }

    def clean(self):
        data = super().clean()
        for name in self.REQUIRED.get(data.get("metric"), ()):
            if not data.get(name):
                self.add_error(name, _("This figure needs this value."))
        grain, first = data.get("grain"), data.get("period_start")
        if (
            data.get("metric") == "conversion"
            and grain
            and first
            and not conversion_trend.is_period_start(grain, first)
        ):
            self.add_error("period_start", _("A week starts on a Monday, a month on its first day."))
        return data


@dataclass
class DrillDown:
    title: str
    detail: str
    deals: object  # the queryset behind the figure
    count: int
    total: object  # Σ value of those deals
    visits: int | None = None  # the visits behind a visit count (a deal may have several)


def deals_behind(*, user, filterset, bucket_form, now=None):
    """The deals behind one figure, in the viewer's scope and under the dashboard's filters, with
    their count and total value (one aggregate query). Call after both forms validated."""
    now = now or timezone.now()
    criteria = filterset.criteria()
    deals = base.dashboard_deals(user=user, filterset=filterset)
    data = bucket_form.cleaned_data
    metric = data["metric"]
    period = criteria.period
    detail = ""
    visits = None
    if metric == "funnel":
        stage = data["in_stage"]
        sql, params = funnel.cohort_deal_ids_sql(
            deals=deals, stage=stage, start=period.start, end=period.end, outcome=data["outcome"]
        )
        # Constants and ORM-compiled SQL; every value is a bound parameter.
        selected = Deal.objects.filter(pk__in=RawSQL(sql, params))  # noqa: S611
        detail = f"{stage.name}: {FUNNEL_OUTCOMES[data['outcome']]}"
    elif metric == "forecast":
        selected, detail = _forecast_bucket(deals, data["bucket"], timezone.localdate(now))
    elif metric == "open_in_stage":
        selected = deals.filter(status=Deal.Status.OPEN, stage=data["in_stage"])
        detail = data["in_stage"].name
    elif metric == "conversion":
        stage, grain = data["in_stage"], data["grain"]
        period = conversion_trend.period_of(grain, data["period_start"])
        sql, params = conversion_trend.exit_deal_ids_sql(
            deals=deals, stage=stage, period=period, outcome=data["exit_outcome"]
        )
        selected = Deal.objects.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (bound parameters only)
        label = conversion_trend.period_label(grain, period)
        detail = f"{stage.name} · {label}: {conversion_trend.EXITS[data['exit_outcome']]}"
    elif metric == "stage_visits":
        stage = data["in_stage"]
        sql, params = time_in_stage.completed_visits_sql(deals=deals, stage=stage, start=period.start, end=period.end)
        selected = Deal.objects.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (bound parameters only)
        visits = time_in_stage.completed_visits_count(deals=deals, stage=stage, start=period.start, end=period.end)
        detail = stage.name
    elif metric == "lost":
        pipeline = data["lost_from"].pipeline
        selected = sources.lost_deals(deals=deals, criteria=criteria, pipeline=pipeline).filter(
            lost_reason=data["reason"], lost_from_stage=data["lost_from"]
        )
        detail = f"{data['reason'].name} · {data['lost_from'].name}"
    elif metric == "lead_won":
        campaign = bucket_form.data.get("campaign") if "campaign" in bucket_form.data else None
        selected = sources.lead_won_deals(user=user, criteria=criteria, source=data["lead_source"], campaign=campaign)
        detail = str(dict(Lead.Source.choices)[data["lead_source"]]) + (f" · {campaign}" if campaign else "")
    elif metric == "objections":
        selected, detail = _objections_bucket(deals, criteria, data)
    elif metric == "open":
        selected = deals.filter(status=Deal.Status.OPEN)
    elif metric == "won":
        selected = deals.filter(status=Deal.Status.WON, won_at__gte=period.start, won_at__lt=period.end)
    elif metric == "new":  # a new-deals goal's deals (analytics.selectors.goals)
        selected = deals.filter(created_at__gte=period.start, created_at__lt=period.end)
    else:  # closed: the win rate's deals (won + lost in the period), as outcomes() selects them
        selected = deals.filter(
            Q(status=Deal.Status.WON, won_at__gte=period.start, won_at__lt=period.end)
            | Q(status=Deal.Status.LOST, lost_at__gte=period.start, lost_at__lt=period.end)
        )
    totals = Deal.objects.filter(pk__in=selected.values("id")).aggregate(n=Count("id"), total=Sum("value"))
    listed = (
        Deal.objects.filter(pk__in=selected.values("id"))
        .select_related("stage", "owner", "organization", "pipeline")
        .order_by("-value", "id")
    )
    return DrillDown(
        title=str(METRICS[metric]),
        detail=detail,
        deals=listed,
        count=totals["n"],
        total=base.money(totals["total"]),
        visits=visits,
    )


def _forecast_bucket(deals, bucket, today):
    """The open deals of one forecast row: overdue (close date passed), no close date, or a month
    (from today on in the current month: the earlier days are overdue), as forecast_rows groups them."""
    open_deals = deals.filter(status=Deal.Status.OPEN)
    if bucket == "overdue":
        return open_deals.filter(expected_close_date__lt=today), str(_("Overdue"))
    if bucket == "none":
        return open_deals.filter(expected_close_date__isnull=True), str(_("No close date"))
    year, month = (int(part) for part in bucket.split("-"))
    first = date(year, month, 1)
    after = (first + timedelta(days=31)).replace(day=1)
    in_month = Q(expected_close_date__gte=max(first, today), expected_close_date__lt=after)
    return open_deals.filter(in_month), bucket


def _objections_bucket(deals, criteria, data):
    """The deals of one objections cell: a stage's or an outcome's row, a kind's column (or all kinds)."""
    stage, kind, outcome = data["in_stage"], data["objection_kind"], data["deal_outcome"]
    selected = objections.objection_deals(deals=deals, criteria=criteria, stage=stage, kind=kind, outcome=outcome)
    parts = [stage.name if stage else "", dict(Deal.Status.choices)[outcome] if outcome else ""]
    parts.append(dict(Objection.Kind.choices)[kind] if kind else "")
    return selected, " · ".join(str(part) for part in parts if part)
