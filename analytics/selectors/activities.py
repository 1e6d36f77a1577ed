"""Activities per rep and kind (docs/metrics.md, "Activities")."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, Kind
from analytics.sections import Column, Section
from analytics.selectors import base


def activities_section(*, user, criteria, deals):
    """Activities done in the period by the people in scope. With a filter on the deals' own
    attributes (pipeline, stage, region, product, industry, size, persona, source) only the
    activities of the matching deals count (`deals`: the scoped, filtered deals)."""
    period = criteria.period
    q = base.dashboard_owner_q(user, "assignee") & base.person_q(criteria, "assignee")
    if criteria.deal_filtered:
        q &= Q(deal__in=deals.values("id"))
    groups = list(
        Activity.objects.filter(q, done_at__gte=period.start, done_at__lt=period.end)
        .values("assignee__username", "assignee__first_name", "assignee__last_name", "kind")
        .annotate(n=Count("id"))
        .order_by("assignee__username", "kind")
    )
    kinds = list(Kind.choices)
    per_rep = {}
    for g in groups:
        name = f"{g['assignee__first_name']} {g['assignee__last_name']}".strip() or g["assignee__username"]
        per_rep.setdefault(name, dict.fromkeys((k for k, _label in kinds), 0))[g["kind"]] = g["n"]
    rows = [[name, *counts.values(), sum(counts.values())] for name, counts in per_rep.items()]
    return Section(
        name="activities",
        title=_("Activities per rep and kind"),
        explanation=_(
            "Activities completed in the period, by the person assigned and the kind of activity. With a "
            "filter on the deals (pipeline, stage, region, product, industry, company size, persona, lead "
            "source) only the activities of the matching deals count."
        ),
        columns=[Column(_("Rep")), *[Column(label, "int") for _k, label in kinds], Column(_("Total"), "int")],
        rows=rows,
        chart={
            "type": "bar",
            "stacked": True,
            "integer": True,
            "labels": list(per_rep),
            "datasets": [
                {"label": str(label), "data": [r[1 + i] for r in rows]} for i, (_k, label) in enumerate(kinds)
            ],
        },
    )
