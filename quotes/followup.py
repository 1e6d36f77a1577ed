"""The follow-up rule triggers of quotes (docs/quotes.md), registered with the
activities rule engine through `activities.triggers` in QuotesConfig.ready():

- quote sent and not viewed after N days: no trusted view (`first_viewed_at` empty: openings
  flagged as scanners do not set it) N days after sending;
- quote viewed but not answered after N days: N days after the first trusted view;
- quote expires in N days: its last valid day is at most N days ahead (installation's time zone).

Only quotes still sent (not answered, expired, superseded or cancelled) of open deals count.

Three more fire at the moment something happened, read from the quote's events (`QuoteEvent`)
since the rule was created, once per event (occurrence "quoteevent:<id>"):
- quote sent; quote viewed (the first trusted view); quote declined.
Each rule fires once per quote (occurrence "quote:<id>:<what>"). Each trigger is one query over
the matches (the index on state and valid-until or the sent time), which leaves out the quotes
the rule fired for already with an EXISTS on the firing's unique (rule, occurrence).
"""

from datetime import timedelta

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from activities.models import FollowUpRule, RuleFiring
from deals.models import Deal
from quotes.models import Quote, QuoteEvent

Trigger = FollowUpRule.Trigger
# The engine's batch per rule and run (like the built-in triggers): the rest comes next run.
BATCH = 1000
SUFFIX = {
    Trigger.QUOTE_NOT_VIEWED: "not_viewed",
    Trigger.QUOTE_NOT_ANSWERED: "not_answered",
    Trigger.QUOTE_EXPIRING: "expiring",
}


def occurrence_key(quote_id, trigger):
    return f"quote:{quote_id}:{SUFFIX[trigger]}"


def _unfired(rule, quotes):
    key = Concat(
        Value("quote:"),
        Cast(OuterRef("pk"), output_field=CharField()),
        Value(f":{SUFFIX[rule.trigger]}"),
        output_field=CharField(),
    )
    return quotes.exclude(Exists(RuleFiring.objects.filter(rule=rule, occurrence=key)))


def _open_quotes():
    return Quote.objects.filter(state=Quote.State.SENT, deal__status=Deal.Status.OPEN)


def _occurrences(rule, quotes, now, occurred_at):
    quotes = _unfired(rule, quotes).select_related("deal__owner", "deal__organization", "deal__stage")
    for quote in quotes.order_by("pk")[:BATCH]:
        yield {
            "occurrence": occurrence_key(quote.pk, rule.trigger),
            "stage_change": None,
            "deal": quote.deal,
            "lead": None,
            "owner": quote.deal.owner,
            "occurred_at": occurred_at(quote),
            "due_base": now,
            "values": {"quote": quote.display_number},
        }


def not_viewed_occurrences(rule, now):
    """Sent quotes without a trusted view N days after sending."""
    if rule.idle_days is None:
        return
    days = timedelta(days=rule.idle_days)
    quotes = _open_quotes().filter(first_viewed_at__isnull=True, sent_at__lte=now - days)
    yield from _occurrences(rule, quotes, now, lambda quote: quote.sent_at + days)


def not_answered_occurrences(rule, now):
    """Sent quotes the customer first viewed N days ago or longer without answering."""
    if rule.idle_days is None:
        return
    days = timedelta(days=rule.idle_days)
    quotes = _open_quotes().filter(first_viewed_at__isnull=False, first_viewed_at__lte=now - days)
    yield from _occurrences(rule, quotes, now, lambda quote: quote.first_viewed_at + days)


def expiring_occurrences(rule, now):
    """Sent quotes whose last valid day is today or within the next N days (a quote past it is
    expired, or will be at its next reading)."""
    if rule.idle_days is None:
        return
    today = timezone.localdate(now, timezone=timezone.get_default_timezone())
    quotes = _open_quotes().filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=rule.idle_days))

    def occurred_at(quote):
        return max(quote.expires_at() - timedelta(days=rule.idle_days + 1), quote.sent_at or now)

    yield from _occurrences(rule, quotes, now, occurred_at)


EVENT_KINDS = {
    Trigger.QUOTE_SENT: QuoteEvent.Kind.SENT,
    Trigger.QUOTE_VIEWED: QuoteEvent.Kind.VIEWED,
    Trigger.QUOTE_DECLINED: QuoteEvent.Kind.DECLINED,
}


def event_occurrences(rule, now):
    """The quote events of the rule's kind since the rule was created, on deals that have an
    owner, that the rule has not fired for."""
    key = Concat(Value("quoteevent:"), Cast(OuterRef("pk"), output_field=CharField()), output_field=CharField())
    events = (
        QuoteEvent.objects.filter(kind=EVENT_KINDS[rule.trigger], at__gte=rule.created_at)
        .exclude(Exists(RuleFiring.objects.filter(rule=rule, occurrence=key)))
        .select_related("quote", "deal__owner", "deal__organization", "deal__stage", "deal__contact")
        .order_by("at", "id")
    )
    for event in events[:BATCH]:
        yield {
            "occurrence": f"quoteevent:{event.pk}",
            "stage_change": None,
            "deal": event.deal,
            "lead": None,
            "owner": event.deal.owner,
            "occurred_at": event.at,
            "due_base": event.at,
            "values": {"quote": event.quote.display_number},
        }


def register():
    from activities import triggers

    for trigger in EVENT_KINDS:
        triggers.register(trigger, event_occurrences)

    triggers.register(Trigger.QUOTE_NOT_VIEWED, not_viewed_occurrences)
    triggers.register(Trigger.QUOTE_NOT_ANSWERED, not_answered_occurrences)
    triggers.register(Trigger.QUOTE_EXPIRING, expiring_occurrences)
