"""The dashboard's "Nurturing" section (docs/metrics.md, "Nurturing"): per sequence, the marketing
e-mails sent in the period and what they led to, from `nurturing.metrics` (the same definitions
as the sequence's own numbers), in the dashboard's scope (a rep their own contacts' and leads'
e-mails, a manager their teams', an admin all) and owner and team filters (the person's owner).
Pipeline, product, region and lead source filters do not apply to e-mails."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from nurturing import metrics
from nurturing.models import Sequence


def _person_q(criteria):
    q = Q()
    if criteria.owner is not None:
        q &= Q(contact__owner_id=criteria.owner.pk) | Q(lead__owner_id=criteria.owner.pk)
    if criteria.team is not None:
        q &= Q(contact__owner__team_id=criteria.team.pk) | Q(lead__owner__team_id=criteria.team.pk)
    return q & _segment_q(criteria)


def _segment_q(criteria):
    """The dashboard's filters that a marketing e-mail's person has: a lead's own region, industry,
    size, persona and source; a contact's organization's region, industry and size. A contact has no
    persona or lead source, so those two keep only e-mails to leads."""
    q = Q()
    for name, field in (("region", "region"), ("industry", "industry"), ("size", "size_band")):
        value = getattr(criteria, name)
        if value:
            q &= Q(**{f"lead__{field}": value}) | Q(**{f"contact__organization__{field}": value})
    if criteria.persona is not None:
        q &= Q(lead__persona_id=criteria.persona.pk)
    if criteria.source:
        q &= Q(lead__source=criteria.source)
    return q


def nurturing_section(*, user, criteria):
    sends = metrics.scoped_sends(user=user, period=criteria.period).filter(_person_q(criteria), sequence__isnull=False)
    report = metrics.report(sends=sends, by="sequence")
    names = dict(Sequence.objects.filter(id__in=list(report.rows)).values_list("id", "name")) if report.rows else {}

    def row(label, n):
        return [label, n.sent, n.delivered, n.clicked, n.ctr, n.replied, n.converted, n.won_first,
                n.revenue_first, n.revenue_last]  # fmt: skip

    ordered = sorted(report.rows.items(), key=lambda item: (names.get(item[0], "").lower(), item[0] or 0))
    rows = [row(names.get(key, ""), numbers) for key, numbers in ordered]
    if len(rows) > 1:
        rows.append(row(str(_("All sequences")), report.total))
    chart_rows = rows[:-1] if len(rows) > 1 else rows
    return Section(
        name="nurturing",
        title=_("Nurturing"),
        explanation=_(
            "Marketing e-mails of the sequences sent in the period, per sequence. Delivered: sent and not bounced. "
            "Clicked: delivered e-mails with a click that the bot and scanner filter counts; CTR = clicked ÷ "
            "delivered. Converted: people whose lead was converted, or who (or whose organization) got a deal, "
            "after an e-mail. Revenue: won deals credited to the first (first touch) or the last (last touch) "
            "marketing e-mail to the deal's contact or lead before the deal was created."
        ),
        columns=[
            Column(_("Sequence")),
            Column(_("Sent"), "int"),
            Column(_("Delivered"), "int"),
            Column(_("Clicked"), "int"),
            Column(_("CTR"), "percent"),
            Column(_("Replied"), "int"),
            Column(_("Converted to deal"), "int"),
            Column(_("Won deals (first touch)"), "int"),
            Column(_("Revenue (first touch)"), "money"),
            Column(_("Revenue (last touch)"), "money"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "integer": True,
            "labels": [r[0] for r in chart_rows],
            "datasets": [
                {"label": str(_("Delivered")), "data": [r[2] for r in chart_rows]},
                {"label": str(_("Clicked")), "data": [r[3] for r in chart_rows], "color": "ok"},
            ],
        },
    )
