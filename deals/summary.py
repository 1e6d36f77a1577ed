"""The per-(stage, owner, status, region) summary of the deals (deals.models.DealSummary): the
board's column totals and the poll's change token without reading the deals.

The triggers of deals/summary_sql.py keep the table; this module reads it, says which board
selections it can answer, and recomputes it (`rebuild_deal_summary`). docs/board.md,
"Totals and the poll token".
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, JSONObject, Round

from accounts import scoping
from deals import filters
from deals.models import Deal, DealSummary

CENTS = Decimal("0.01")
# What the summary cannot know: the deal's organization (but its region), contact, lead,
# products, title, close date. With any of these the board falls back to an aggregate over
# the deals.
NOT_IN_SUMMARY = tuple(key for key in filters.BoardFilter.NOT_IN_SNAPSHOTS if key != "region")


def answers(filterset):
    """Can the summary give exactly the totals of this board selection (pipeline, status,
    owner / me / my team, region, the viewer's scope)?"""
    if filterset.is_bound and not filterset.is_valid():
        return False
    return not any(filterset.data.get(key) for key in NOT_IN_SUMMARY)


def rows_for(filterset):
    """The summary rows of the deals this selection can show, before the filters the summary
    does not know: the viewer's scope, the status, the owner and the region filter. For a
    selection the summary does not answer this is a superset of its deals (what the change
    token needs)."""
    rows = DealSummary.objects.filter(scoping.visible_owner_q(filterset.user))
    status = filterset.data.get("status")
    if status != filters.STATUS_ALL:
        rows = rows.filter(status=status)
    owner = str(filterset.data.get("owner") or "")
    if owner in (filters.OWNER_ME, filters.OWNER_TEAM) or owner.isdigit():
        rows = filterset.filter_owner(rows, "owner", owner)
    region = filterset.data.get("region")
    if region and (not filterset.is_bound or filterset.is_valid()):
        rows = rows.filter(region=region)
    return rows


def stage_totals(filterset):
    """A subquery on a Stage row: its summary as a JSON object (n, value and weighted parts
    in cents as text, the change counter), NULL when no row is in the selection."""
    text = models.CharField()
    totals = JSONObject(
        n=Sum("n"),
        value=Cast(Sum("value_cents"), text),
        plain=Cast(Sum("plain_cents"), text),
        override=Cast(Sum("override_weighted"), text),
        changes=Sum("change_count"),
    )
    rows = rows_for(filterset).filter(stage_id=OuterRef("pk")).order_by().values("stage_id")
    return Subquery(rows.annotate(x=totals).values("x"), output_field=models.JSONField())


@dataclass
class Totals:
    count: int
    total: Decimal
    weighted: Decimal


def totals_from(data, probability):
    """(count, sum, weighted sum) from a `stage_totals` object and the stage's probability:
    weighted = (Σ value without override × stage % + Σ value × override %) / 100."""
    data = data or {}
    plain = Decimal(data.get("plain") or 0)
    override = Decimal(data.get("override") or 0)
    return Totals(
        count=data.get("n") or 0,
        total=(Decimal(data.get("value") or 0) / 100).quantize(CENTS),
        weighted=((plain * probability + override) / 10000).quantize(CENTS),
    )


def token_from(data, probability):
    """A column's change token: the count and the change counter of its summary rows in the
    selection, and the stage's probability (it changes the weighted sum); '' when no row is
    in the selection. Any insert, update or delete of one of its deals grows the counter, and
    the counter never shrinks."""
    if not data:
        return ""
    return f"{data.get('n') or 0}-{data.get('changes') or 0}-{probability}"


def signatures(*, filterset, pipeline_id):
    """{stage_id: change token} for the columns of a pipeline that have summary rows in the
    selection: one GROUP BY over (stages × owners in scope) rows, never over the deals."""
    rows = (
        rows_for(filterset)
        .filter(stage__pipeline_id=pipeline_id)
        .order_by()
        .values("stage_id")
        .annotate(n=Sum("n"), changes=Sum("change_count"), probability=Max("stage__probability"))
    )
    return {row["stage_id"]: token_from(row, row["probability"]) for row in rows}


# --- recomputing ------------------------------------------------------------------------------


def _computed():
    """{(stage, owner, status, region): (n, value, plain, override)} straight from the deals."""
    cents = Round(F("value") * 100)
    rows = (
        Deal.objects.order_by()
        .annotate(region=Coalesce("organization__region", Value("")))
        .values("stage_id", "owner_id", "status", "region")
        .annotate(
            count=Count("pk"),
            value_sum=Coalesce(Sum(cents), 0, output_field=models.DecimalField()),
            plain_sum=Coalesce(Sum(cents, filter=Q(probability__isnull=True)), 0, output_field=models.DecimalField()),
            override_sum=Coalesce(
                Sum(cents * F("probability"), filter=Q(probability__isnull=False)),
                0,
                output_field=models.DecimalField(),
            ),
        )
    )
    return {
        (r["stage_id"], r["owner_id"], r["status"], r["region"]): (
            r["count"],
            Decimal(r["value_sum"]).to_integral_value(),
            Decimal(r["plain_sum"]).to_integral_value(),
            Decimal(r["override_sum"]).to_integral_value(),
        )
        for r in rows
    }


def _stored():
    return {(s.stage_id, s.owner_id, s.status, s.region): s for s in DealSummary.objects.all()}


def _numbers(row):
    return (row.n, Decimal(row.value_cents), Decimal(row.plain_cents), Decimal(row.override_weighted))


def differences():
    """[(key, stored numbers, computed numbers)] where the summary disagrees with the deals."""
    computed, stored = _computed(), _stored()
    zero = (0, Decimal(0), Decimal(0), Decimal(0))
    found = []
    for key in sorted(set(computed) | set(stored), key=str):
        have = _numbers(stored[key]) if key in stored else zero
        want = computed.get(key, zero)
        if have != want:
            found.append((key, have, want))
    return found


@transaction.atomic
def rebuild():
    """Recompute the summary from the deals (writes to deals wait until it commits on
    PostgreSQL). Rows that change get their change counter bumped, never reset, so that no
    old change token can come back. Returns the number of rows corrected."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE deals_deal, leads_organization IN SHARE MODE")
    fixes = differences()
    stored = _stored()
    for (stage_id, owner_id, status, region), _have, (n, value, plain, override) in fixes:
        row = stored.get((stage_id, owner_id, status, region)) or DealSummary(
            stage_id=stage_id, owner_id=owner_id, status=status, region=region
        )
        row.n, row.value_cents, row.plain_cents, row.override_weighted = n, value, plain, override
        row.change_count = (row.change_count or 0) + 1
        row.save()
    return len(fixes)
