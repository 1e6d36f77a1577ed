"""The numbers of marketing e-mail (docs/nurturing.md, "Numbers"; docs/metrics.md, "Nurturing").

Per sequence, step, template or segment, over a set of Send rows (scoped to the viewer and, with
a period, to the e-mails sent in it — a cohort: what those e-mails led to is counted whenever it
happened):

- sent = e-mails that left (status sent or bounced); delivered = sent and not bounced; bounced =
  status bounced, or a permanent `mail.Bounce` names the message;
- opened (an estimate) = delivered e-mails with a counted open (`Send.opened_at`);
- clicked = delivered e-mails with a counted click (`Send.clicked_at`): each recipient once per
  e-mail however often they clicked ("unique clicks"); CTR = clicked ÷ delivered;
- replied, unsubscribed = delivered e-mails with `replied_at` / `unsubscribed_at`;
- converted = people (distinct addresses) who got a delivered e-mail and afterwards had their lead
  converted, or a deal of theirs or of their organization created;
- won deals and revenue, attributed: a won deal's **touches** are the delivered marketing e-mails
  to its contact or to the lead it was converted from, sent before the deal was created. First
  touch credits the deal (count 1, its value) to the earliest touch, last touch to the latest —
  each deal once per model, and only to a touch in the set asked about (a deal whose first touch
  was another sequence's e-mail is that sequence's first-touch deal).

Queries: one grouped aggregate per dimension (set-based, whatever the number of e-mails) and two
for the attribution (the won deals of the people in the set with their first and last touch; the
dimensions of those touches). The Python loop runs over the attributed won deals only.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery

from accounts import scoping
from deals.models import Deal
from mail.models import Bounce
from nurturing.models import Send

ZERO = Decimal("0")
DIMENSIONS = {"sequence": "sequence_id", "step": "step_id", "template": "template_id", "segment": "segment_id"}
LEFT = (Send.Status.SENT, Send.Status.BOUNCED)


@dataclass
class Numbers:
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    unsubscribed: int = 0
    converted: int = 0
    won_first: int = 0
    revenue_first: Decimal = ZERO
    won_last: int = 0
    revenue_last: Decimal = ZERO

    @property
    def ctr(self):
        """clicked ÷ delivered; None when nothing was delivered."""
        return self.clicked / self.delivered if self.delivered else None

    @property
    def open_rate(self):
        return self.opened / self.delivered if self.delivered else None


@dataclass
class Report:
    """Numbers per key of one dimension, and the total over the whole set."""

    rows: dict = field(default_factory=dict)
    total: Numbers = field(default_factory=Numbers)

    def get(self, key):
        return self.rows.get(key) or Numbers()


# Scope -------------------------------------------------------------------------------------------


def scope_q(user, *, own_only_for_reps=True):
    """The sends whose person (contact or lead) belongs to the viewer's numbers: a rep their own
    records, a manager their teams' (and their own), an admin all."""
    if scoping.is_admin(user):
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role == "manager" or not own_only_for_reps:
        return scoping.visible_owner_q(user, "contact__owner") | scoping.visible_owner_q(user, "lead__owner")
    return Q(contact__owner_id=user.pk) | Q(lead__owner_id=user.pk)


def scoped_sends(*, user, period=None):
    sends = Send.objects.filter(scope_q(user))
    if period is not None:
        sends = sends.filter(sent_at__gte=period.start, sent_at__lt=period.end)
    return sends.order_by()


# The counts --------------------------------------------------------------------------------------


def _conditions():
    left = Q(status__in=LEFT)
    bounced = Q(status=Send.Status.BOUNCED) | Exists(
        Bounce.objects.filter(original_id=OuterRef("message_id"), permanent=True)
    )
    delivered = left & ~bounced
    person_deal = Deal.objects.filter(created_at__gt=OuterRef("sent_at")).filter(
        Q(contact_id=OuterRef("contact_id")) | Q(organization_id=OuterRef("contact__organization_id"))
    )
    converted = delivered & (Q(lead__converted_at__gt=F("sent_at")) | Q(contact__isnull=False) & Exists(person_deal))
    return left, bounced, delivered, converted


def _aggregates():
    left, bounced, delivered, converted = _conditions()
    return {
        "sent": Count("id", filter=left),
        "bounced": Count("id", filter=left & bounced),
        "delivered": Count("id", filter=delivered),
        "opened": Count("id", filter=delivered & Q(opened_at__isnull=False)),
        "clicked": Count("id", filter=delivered & Q(clicked_at__isnull=False)),
        "replied": Count("id", filter=delivered & Q(replied_at__isnull=False)),
        "unsubscribed": Count("id", filter=delivered & Q(unsubscribed_at__isnull=False)),
        "converted": Count("address", filter=converted, distinct=True),
    }


def counts(*, sends, by=None):
    """{key: Numbers} per value of the dimension `by` (None: {None: the total}); one query."""
    if by is None:
        row = sends.aggregate(**_aggregates())
        return {None: Numbers(**row)}
    column = DIMENSIONS[by]
    rows = sends.values(column).annotate(**_aggregates()).order_by(column)
    return {row.pop(column): Numbers(**row) for row in rows}


# Attribution -------------------------------------------------------------------------------------


def touches():
    """The delivered marketing e-mails to a deal's person before the deal was created (a subquery
    correlated to the outer Deal)."""
    return Send.objects.filter(status=Send.Status.SENT, sent_at__lt=OuterRef("created_at")).filter(
        Q(contact_id=OuterRef("contact_id")) | Q(lead_id=OuterRef("source_lead_id"))
    )


def attributed_deals(*, sends):
    """[(value, first touch id, last touch id)] of the won deals of the people in `sends`."""
    people = Q(contact_id__in=sends.filter(contact__isnull=False).values("contact_id")) | Q(
        source_lead_id__in=sends.filter(lead__isnull=False).values("lead_id")
    )
    return list(
        Deal.objects.filter(people, status=Deal.Status.WON)
        .annotate(
            first_touch=Subquery(touches().order_by("sent_at", "id").values("id")[:1]),
            last_touch=Subquery(touches().order_by("-sent_at", "-id").values("id")[:1]),
        )
        .filter(first_touch__isnull=False)
        .values_list("value", "first_touch", "last_touch")
        .order_by()
    )


def attribution(*, sends, dimensions):
    """{dimension: {key: [won_first, revenue_first, won_last, revenue_last]}} plus the total
    under the dimension None; two queries."""
    deals = attributed_deals(sends=sends)
    result = {dimension: defaultdict(lambda: [0, ZERO, 0, ZERO]) for dimension in (*dimensions, None)}
    if not deals:
        return result
    ids = {touch for _value, first, last in deals for touch in (first, last)}
    columns = [DIMENSIONS[d] for d in dimensions]
    keys = {row[0]: row[1:] for row in sends.filter(id__in=ids).values_list("id", *columns)}
    for value, first, last in deals:
        for touch, offset in ((first, 0), (last, 2)):
            if touch not in keys:
                continue  # credited to an e-mail outside this set (another sequence, another scope)
            for dimension, key in zip((*dimensions, None), (*keys[touch], None), strict=True):
                entry = result[dimension][key]
                entry[offset] += 1
                entry[offset + 1] += value
    return result


def report(*, sends, by=None):
    """A Report for the dimension `by` (None: the total only): per-key rows and the total."""
    dimensions = (by,) if by else ()
    rows = counts(sends=sends, by=by) if by else {}
    total = counts(sends=sends)[None]
    credit = attribution(sends=sends, dimensions=dimensions)
    for key, numbers in rows.items():
        _credit(numbers, credit[by].get(key))
    if by:
        for key in credit[by]:
            if key not in rows:
                rows[key] = Numbers()
                _credit(rows[key], credit[by][key])
    _credit(total, credit[None].get(None))
    return Report(rows=rows, total=total)


def _credit(numbers, entry):
    if entry:
        numbers.won_first, numbers.revenue_first, numbers.won_last, numbers.revenue_last = entry


def sequence_numbers(*, sequences_qs, period=None, user=None):
    """{sequence id: Numbers} for the sequences of `sequences_qs` (the viewer's scope when `user`
    is given); 4 queries whatever their number."""
    sends = scoped_sends(user=user, period=period) if user is not None else _period(Send.objects.all(), period)
    sends = sends.filter(sequence__in=sequences_qs.values("id"))
    result = report(sends=sends, by="sequence")
    return {key: numbers for key, numbers in result.rows.items() if key is not None}


def step_report(*, sequence, user, period=None):
    """The numbers per step of one sequence and its total, in the viewer's scope."""
    sends = scoped_sends(user=user, period=period).filter(sequence=sequence)
    return report(sends=sends, by="step")


def _period(sends, period):
    if period is None:
        return sends.order_by()
    return sends.filter(sent_at__gte=period.start, sent_at__lt=period.end).order_by()
