"""Two built-in follow-up rule triggers (docs/activities.md), beside the others in services.py:

- web form submitted: a lead the web form created, or a web form submission of a known lead
  (its `LeadTouch`), since the rule was created;
- deal lost N days ago: a deal still lost N days after it was lost, optionally only for the
  rule's lost reason.

Each yields the engine's occurrence dicts (activities/triggers.py) and leaves out what the rule
fired for already, in the query.
"""

from datetime import timedelta

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from activities.models import RuleFiring
from deals.models import Deal
from leads.models import Lead, LeadTouch


def _unfired_by_key(rule, queryset, prefix):
    """`queryset` without the rows whose occurrence "<prefix><pk>" fired the rule already."""
    key = Concat(Value(prefix), Cast(OuterRef("pk"), output_field=CharField()), output_field=CharField())
    return queryset.exclude(Exists(RuleFiring.objects.filter(rule=rule, occurrence=key)))


def web_form_occurrences(rule):
    """Leads the web form created, and web form submissions of known leads (their touches),
    since the rule was created."""
    leads = _unfired_by_key(
        rule, Lead.objects.filter(source=Lead.Source.WEB_FORM, created_at__gte=rule.created_at), "webform:lead:"
    )
    for lead in leads.select_related("owner").order_by("created_at", "id")[:1000]:
        yield {
            "occurrence": f"webform:lead:{lead.pk}",
            "stage_change": None,
            "deal": None,
            "lead": lead,
            "owner": lead.owner,
            "occurred_at": lead.created_at,
            "due_base": lead.created_at,
        }
    touches = _unfired_by_key(
        rule, LeadTouch.objects.filter(source=Lead.Source.WEB_FORM, at__gte=rule.created_at), "webform:touch:"
    )
    for touch in touches.select_related("lead__owner").order_by("at", "id")[:1000]:
        yield {
            "occurrence": f"webform:touch:{touch.pk}",
            "stage_change": None,
            "deal": None,
            "lead": touch.lead,
            "owner": touch.lead.owner,
            "occurred_at": touch.at,
            "due_base": touch.at,
        }


def deal_lost_after_occurrences(rule, now):
    """Deals still lost N days after they were lost (for the rule's lost reason, if it has one),
    when that day came after the rule was created. Once per loss: a deal reopened and lost
    again fires again."""
    if rule.idle_days is None:
        return
    days = timedelta(days=rule.idle_days)
    deals = Deal.objects.filter(
        status=Deal.Status.LOST, lost_at__lte=now - days, lost_at__gte=rule.created_at - days
    ).exclude(Exists(RuleFiring.objects.filter(rule=rule, deal=OuterRef("pk"), occurred_at__gte=OuterRef("lost_at"))))
    if rule.lost_reason_id:
        deals = deals.filter(lost_reason_id=rule.lost_reason_id)
    for deal in deals.select_related("owner", "organization", "stage", "contact").order_by("lost_at", "id")[:1000]:
        yield {
            "occurrence": f"deal-lost:{deal.pk}:{deal.lost_at.timestamp():.6f}",
            "stage_change": None,
            "deal": deal,
            "lead": None,
            "owner": deal.owner,
            "occurred_at": deal.lost_at + days,
            "due_base": now,
        }
