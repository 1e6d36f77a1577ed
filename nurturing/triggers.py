"""The follow-up rule triggers "link in e-mail clicked" and "content downloaded" (docs/nurturing.md,
"Tracking, honestly"), offered to the rule engine through `activities.triggers` in
NurturingConfig.ready().

- "link_clicked": a marketing e-mail got its first **counted** click (`Send.clicked_at`, set by
  the bot filter's verdict) after the rule was created; once per e-mail (occurrence
  "nurture-click:<send id>").
- "content_downloaded": a tracked link marked as a download (a document: .pdf, .zip, .docx, .xlsx,
  .pptx, .epub) got a counted click after the rule was created; once per link, that is per
  document per e-mail (occurrence "nurture-download:<link id>").

The record the rule acts on is the e-mail's person's: for a lead, the deal it was converted to,
else the lead; for a contact, their newest open deal, else their newest open lead (not converted,
not disqualified). An e-mail whose person has neither is not an occurrence. One query per run
(at most BATCH), then one query each for the deals and leads it names.
"""

from django.db.models import CharField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat

from activities.models import RuleFiring
from deals.models import Deal
from leads.models import Lead
from nurturing.models import Send, TrackedLink, TrackingEvent

BATCH = 1000
LINK_CLICKED = "link_clicked"
CONTENT_DOWNLOADED = "content_downloaded"
CLOSED_LEAD = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)


def _occurrence_key(prefix):
    return Concat(Value(prefix), Cast(OuterRef("pk"), output_field=CharField()), output_field=CharField())


def _with_targets(queryset, send):
    """Annotate the deal or lead of each row's person (`send` is the path to the Send, "" or "send__")."""
    lead_id, contact_id = f"{send}lead_id", f"{send}contact_id"
    return queryset.annotate(
        person_lead_id=F(lead_id),
        lead_deal=Subquery(Deal.objects.filter(source_lead_id=OuterRef(lead_id)).values("id")[:1]),
        contact_deal=Subquery(
            Deal.objects.filter(contact_id=OuterRef(contact_id), status=Deal.Status.OPEN)
            .order_by("-created_at", "-id")
            .values("id")[:1]
        ),
        contact_lead=Subquery(
            Lead.objects.filter(contact_id=OuterRef(contact_id))
            .exclude(status__in=CLOSED_LEAD)
            .order_by("-created_at", "-id")
            .values("id")[:1]
        ),
    ).filter(Q(**{f"{lead_id}__isnull": False}) | Q(contact_deal__isnull=False) | Q(contact_lead__isnull=False))


def _occurrences(rows, *, key):
    """Occurrence dicts for rows annotated by `_with_targets` plus `occurred`."""
    rows = list(rows)
    targets = []
    for row in rows:
        own_lead = row.person_lead_id
        if own_lead is not None:
            targets.append((row.lead_deal, None if row.lead_deal else own_lead))
        else:
            targets.append((row.contact_deal, None if row.contact_deal else row.contact_lead))
    deal_ids = {deal for deal, _lead in targets if deal}
    lead_ids = {lead for _deal, lead in targets if lead}
    deals = Deal.objects.select_related("owner", "organization", "stage").in_bulk(deal_ids) if deal_ids else {}
    leads = Lead.objects.select_related("owner").in_bulk(lead_ids) if lead_ids else {}
    for row, (deal_id, lead_id) in zip(rows, targets, strict=True):
        deal, lead = deals.get(deal_id), leads.get(lead_id)
        if deal is None and lead is None:
            continue
        yield {
            "occurrence": f"{key}:{row.pk}",
            "stage_change": None,
            "deal": deal,
            "lead": None if deal else lead,
            "owner": deal.owner if deal else lead.owner,
            "occurred_at": row.occurred,
            "due_base": row.occurred,
        }


def link_clicked_occurrences(rule, now):
    sends = (
        Send.objects.filter(clicked_at__isnull=False, clicked_at__gte=rule.created_at)
        .exclude(Exists(RuleFiring.objects.filter(rule=rule, occurrence=_occurrence_key("nurture-click:"))))
        .annotate(occurred=F("clicked_at"))
        .order_by("clicked_at", "pk")
    )
    return _occurrences(_with_targets(sends, "")[:BATCH], key="nurture-click")


def content_downloaded_occurrences(rule, now):
    counted = TrackingEvent.objects.filter(
        link_id=OuterRef("pk"), kind=TrackingEvent.Kind.CLICK, counted=True, at__gte=rule.created_at
    )
    links = (
        TrackedLink.objects.filter(is_download=True)
        .filter(Exists(counted))
        .exclude(Exists(RuleFiring.objects.filter(rule=rule, occurrence=_occurrence_key("nurture-download:"))))
        .annotate(occurred=Subquery(counted.order_by("at", "id").values("at")[:1]))
        .order_by("occurred", "pk")
    )
    return _occurrences(_with_targets(links, "send__")[:BATCH], key="nurture-download")


def register():
    from activities import triggers

    triggers.register(LINK_CLICKED, link_clicked_occurrences)
    triggers.register(CONTENT_DOWNLOADED, content_downloaded_occurrences)
