"""The scope every dashboard number starts from, and the helpers the metric families share.

A rep sees their own deals, a manager their teams', an admin all (`dashboard_deals`), with the
dashboard's FilterSet applied. Medians and percentiles are taken in Python over one fetched column
(SQLite has no percentile function), never with a query per row.
"""

from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection
from django.db.models import DecimalField, Q
from django.urls import reverse

from accounts import scoping
from analytics import filters
from deals import selectors as deal_selectors
from deals.models import Deal

MONEY = DecimalField(max_digits=18, decimal_places=2)


def dashboard_owner_q(user, owner_field="owner"):
    """The rows whose owner counts on `user`'s dashboard (METRICS: a rep sees only their own)."""
    if filters.dashboard_is_own_only(user):
        return Q(**{f"{owner_field}_id": user.pk})
    return scoping.visible_owner_q(user, owner_field)


def dashboard_deals(*, user, filterset):
    """The deals behind every deal metric: scoped, then filtered by the FilterSet (validated)."""
    return filterset.filter_queryset(Deal.objects.filter(dashboard_owner_q(user))).order_by()


def person_q(criteria, owner_field):
    q = Q()
    if criteria.owner is not None:
        q &= Q(**{f"{owner_field}_id": criteria.owner.pk})
    if criteria.team is not None:
        q &= Q(**{f"{owner_field}__team_id": criteria.team.pk})
    return q


def chart_pipeline(criteria):
    """The pipeline whose stages the stage-by-stage charts show."""
    return criteria.pipeline or deal_selectors.pipeline_get_default()


def percentile(values, q):
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont); None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    fraction = k - low
    if isinstance(ordered[low], Decimal):
        fraction = Decimal(str(fraction))
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def days_from_seconds(seconds):
    return None if seconds is None else round(seconds / 86400, 1)


def rate(part, whole):
    return None if not whole else part / whole


def seconds_between(start_sql, end_sql):
    if connection.vendor == "postgresql":
        # A float, not a numeric: a hundred thousand Decimals cost more to fetch than to compute.
        return f"CAST(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) AS double precision)"
    return f"((julianday({end_sql}) - julianday({start_sql})) * 86400.0)"


def dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def deal_ids_sql(deals):
    return deals.values("id").query.sql_with_params()


def money(value):
    return Decimal(value or 0).quantize(Decimal("0.01"))


def drill_url(criteria, metric, **bucket):
    """The drill-down list of the deals behind one figure: the dashboard's filters, the metric's key
    and the bucket (a stage, a month, a reason…). An empty string is kept (a blank campaign is a
    bucket of its own); None leaves the parameter out."""
    items = [*criteria.query_items(), ("metric", metric)]
    items += [(name, str(value)) for name, value in bucket.items() if value is not None]
    return f"{reverse('analytics:drilldown')}?{urlencode(items)}"
