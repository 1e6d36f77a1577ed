"""Quotes on the dashboard (docs/metrics.md, "Quotes"): quotes sent, acceptance rate, average
discount and the time from sending to acceptance, per owner and per team.

Read live, like the other deal metrics: quotes are few next to deals (the deals that reach the
proposal stage, a revision or two each), and a quote enters a period through an index (`quote_sent_at`,
`quote_answered_at`, `quote_state_valid_until`), so the cost follows the period's quotes, not the
history. Two queries over the scoped, filtered deals joined once to their quotes: counts and sums
per owner, and the times of the acceptances for the medians (docs/quotes.md).
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from quotes.models import Quote

ZERO = Decimal("0")
State = Quote.State


@dataclass
class QuoteFigures:
    """The figures of one row (an owner, a team, everybody)."""

    sent: int = 0
    list_total: Decimal = ZERO
    net_total: Decimal = ZERO
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    days_to_accept: list = field(default_factory=list)

    @property
    def decided(self):
        return self.accepted + self.declined + self.expired

    @property
    def acceptance_rate(self):
        """accepted ÷ (accepted + declined + expired), each counted in the period of its outcome."""
        return self.accepted / self.decided if self.decided else None

    @property
    def average_discount(self):
        """Σ (list − net) ÷ Σ list over the quotes sent: each quote weighs by its list value."""
        if not self.list_total:
            return None
        return (self.list_total - self.net_total) / self.list_total

    @property
    def median_days(self):
        return round(statistics.median(self.days_to_accept), 1) if self.days_to_accept else None

    @property
    def mean_days(self):
        return round(statistics.fmean(self.days_to_accept), 1) if self.days_to_accept else None

    def merge(self, other):
        self.sent += other.sent
        self.list_total += other.list_total
        self.net_total += other.net_total
        self.accepted += other.accepted
        self.declined += other.declined
        self.expired += other.expired
        self.days_to_accept += other.days_to_accept


def expiry_days(period, today):
    """(first, last) valid-until day of the quotes that expired in the period: a quote expires at
    the end of its valid-until day, so on the first moment of the day after; only days already
    over count (a custom range may end in the future)."""
    return period.first_day - timedelta(days=1), min(period.last_day, today) - timedelta(days=1)


def _in_period(period, today):
    """Q objects over a deal's quotes: sent, accepted, declined and expired in the period."""
    start, end = period.start, period.end
    expired_from, expired_to = expiry_days(period, today)
    answered = {"quotes__answered_at__gte": start, "quotes__answered_at__lt": end}
    return {
        "sent": Q(quotes__sent_at__gte=start, quotes__sent_at__lt=end),
        "accepted": Q(quotes__state=State.ACCEPTED, **answered),
        "declined": Q(quotes__state=State.DECLINED, **answered),
        # A sent quote past its validity is expired, whether or not the nightly sweep has marked it.
        "expired": Q(
            quotes__state__in=[State.EXPIRED, State.SENT],
            quotes__valid_until__gte=expired_from,
            quotes__valid_until__lte=expired_to,
        ),
    }


OWNER_FIELDS = (
    "owner_id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__team_id",
    "owner__team__name",
)


def quote_query(*, deals, period, today):
    """Per owner of the scoped, filtered `deals`: the quotes sent, accepted, declined and expired
    in the period and the list and net totals of those sent — one GROUP BY over the deals joined
    once to their quotes of the period."""
    q = _in_period(period, today)
    return (
        deals.filter(q["sent"] | q["accepted"] | q["declined"] | q["expired"], quotes__sent_at__isnull=False)
        .order_by()
        .values(*OWNER_FIELDS)
        .annotate(
            sent=Count("quotes", filter=q["sent"]),
            list_total=Sum("quotes__list_total", filter=q["sent"]),
            net_total=Sum("quotes__net_total", filter=q["sent"]),
            accepted=Count("quotes", filter=q["accepted"]),
            declined=Count("quotes", filter=q["declined"]),
            expired=Count("quotes", filter=q["expired"]),
        )
        .values_list(*OWNER_FIELDS, "sent", "list_total", "net_total", "accepted", "declined", "expired")
    )


def acceptance_query(*, deals, period, today):
    """(owner, sent at, accepted at) of the quotes accepted in the period, for the medians: a range
    on the index `quote_answered_at`."""
    return (
        deals.filter(_in_period(period, today)["accepted"], quotes__sent_at__isnull=False)
        .order_by()
        .values_list("owner_id", "quotes__sent_at", "quotes__answered_at")
    )


def _name(first_name, last_name, username):
    return f"{first_name} {last_name}".strip() or username


def quote_table(rows, acceptances):
    """[(team label, owner label, QuoteFigures, is a sum)]: every owner (by team, then name); when
    more than one owner is shown, every team's total; when more than one team, everybody's."""
    owners, teams = {}, {}
    owner_figures = {}
    for owner_id, username, first_name, last_name, team_id, team_name, *counts in rows:
        owners[owner_id] = (team_id, _name(first_name, last_name, username))
        teams[team_id] = team_name or str(_("No team"))
        sent, list_total, net_total, accepted, declined, expired = counts
        owner_figures[owner_id] = QuoteFigures(
            sent=sent,
            list_total=list_total or ZERO,
            net_total=net_total or ZERO,
            accepted=accepted,
            declined=declined,
            expired=expired,
        )
    for owner_id, sent_at, answered_at in acceptances:
        owner_figures[owner_id].days_to_accept.append((answered_at - sent_at).total_seconds() / 86400)
    ordered = sorted(owners, key=lambda pk: (teams[owners[pk][0]].lower(), owners[pk][1].lower(), pk))
    table = [(teams[owners[pk][0]], owners[pk][1], owner_figures[pk], False) for pk in ordered]
    if len(ordered) > 1:
        team_figures = defaultdict(QuoteFigures)
        for pk in ordered:
            team_figures[owners[pk][0]].merge(owner_figures[pk])
        for team_id in sorted(team_figures, key=lambda pk: (teams[pk].lower(), pk or 0)):
            table.append((teams[team_id], str(_("Team total")), team_figures[team_id], True))
        if len(team_figures) > 1:
            everybody = QuoteFigures()
            for figures in team_figures.values():
                everybody.merge(figures)
            table.append((str(_("All teams")), str(_("Total")), everybody, True))
    return table


def quotes_section(*, deals, criteria, today):
    """The section: rows per owner, team and everybody (quote_table), chart of sent and accepted per owner."""
    period = criteria.period
    rows = list(quote_query(deals=deals, period=period, today=today))
    acceptances = list(acceptance_query(deals=deals, period=period, today=today)) if rows else []
    table = quote_table(rows, acceptances)
    rows = [
        [
            team,
            owner,
            f.sent,
            f.accepted,
            f.declined,
            f.expired,
            f.acceptance_rate,
            f.average_discount,
            f.median_days,
            f.mean_days,
        ]
        for team, owner, f, _is_sum in table
    ]
    owner_rows = [row for row, entry in zip(rows, table, strict=True) if not entry[3]]
    return Section(
        name="quotes",
        title=_("Quotes"),
        explanation=_(
            "Sent: quotes sent in the period (each revision counts). Acceptance rate: quotes accepted in the "
            "period ÷ those accepted, declined or expired in the period (a quote expires at the end of its "
            "valid-until day); superseded and cancelled quotes were closed by us and do not count. Average "
            "discount: what the discounts take off the list prices of the quotes sent in the period, weighted by "
            "their net list value. Days to acceptance: from sending to the customer's acceptance, for the quotes "
            "accepted in the period. By the deal's owner and the owner's team."
        ),
        columns=[
            Column(_("Team")),
            Column(_("Owner")),
            Column(_("Sent"), "int"),
            Column(_("Accepted"), "int"),
            Column(_("Declined"), "int"),
            Column(_("Expired"), "int"),
            Column(_("Acceptance rate"), "percent"),
            Column(_("Average discount"), "percent"),
            Column(_("Days to acceptance (median)"), "days"),
            Column(_("Days to acceptance (mean)"), "days"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "labels": [row[1] for row in owner_rows],
            "datasets": [
                {"label": str(_("Sent")), "data": [row[2] for row in owner_rows]},
                {"label": str(_("Accepted")), "data": [row[3] for row in owner_rows], "color": "ok"},
            ],
        },
    )
