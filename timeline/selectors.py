"""The merged timelines of a deal, a lead, an organization and a contact: field changes (audit log),
stage and status changes, activities planned and done, what happened to the deals' quotes, the
e-mails the viewer may read (mail.selectors) — newest first, one keyset-paged stream, scoped to
the viewer.

One page costs a fixed number of queries whatever the size of the history: one per source
(each reads at most `limit + 1` rows after the cursor from an index on (record, time)),
merged in Python, plus one query per kind of record named by a foreign-key change on the
page (owners, stages, organizations …; a bounded number) and one for the participants of the
e-mails on the page.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.urls import reverse

from accounts import scoping
from activities.models import Activity
from audit.models import LogEntry
from customers.models import Contact, Organization
from deals.models import Deal, StageChange
from leads import selectors as lead_selectors
from leads.models import Lead, LeadStatusChange
from mail import selectors as mail_selectors
from mail.models import Participant
from quotes.models import QuoteEvent
from timeline import formatting, quote_events
from timeline import sources as extra_sources

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Order of items with the same time (newest first): an e-mail, a quote event, a done activity, a
# planned one, a stage or status change, a field change.
CHANGE, STAGE, STATUS, PLANNED, DONE, QUOTE, MAIL = "change", "stage", "status", "planned", "done", "quote", "mail"
RANKS = {CHANGE: 0, STAGE: 1, STATUS: 1, PLANNED: 2, DONE: 3, QUOTE: 4, MAIL: 5}


def rank_of(kind):
    """The built-in kinds' rank, or that of a registered source (timeline.sources)."""
    if kind in RANKS:
        return RANKS[kind]
    return extra_sources.get(kind).rank


def _ranks():
    return set(RANKS.values()) | {source.rank for source in extra_sources.registered()}


@dataclass
class Item:
    kind: str
    at: datetime
    id: int
    obj: object
    changes: list = field(default_factory=list)
    # On an organization's timeline: the deal or lead (or contact) the item belongs to.
    record_label: str = ""
    record_url: str = ""
    # A quote event as people read it (timeline.quote_events.QuoteStory).
    story: object = None
    # A registered source's item: the template that shows it (timeline.sources).
    template: str = ""

    @property
    def rank(self):
        return rank_of(self.kind)

    @property
    def cursor(self):
        micros = (self.at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.rank}.{self.id}"


@dataclass
class Page:
    items: list
    next_cursor: str = ""


def cursor_decode(text):
    """(time, rank, id) of a cursor from `cursor`; None for no cursor; ValueError for junk."""
    if not text:
        return None
    micros, rank, pk = (int(part) for part in str(text).split("."))
    if rank not in _ranks() or pk < 0:
        raise ValueError("bad cursor")
    return EPOCH + timedelta(microseconds=micros), rank, pk


def _after_cursor(queryset, time_field, rank, cursor):
    """The rows that come after the cursor in (time, rank, id) descending order."""
    if cursor is None:
        return queryset
    at, cursor_rank, cursor_id = cursor
    if rank < cursor_rank:
        return queryset.filter(**{f"{time_field}__lte": at})
    if rank > cursor_rank:
        return queryset.filter(**{f"{time_field}__lt": at})
    return queryset.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": cursor_id}))


def _merge(sources, cursor, limit):
    """One page of the merged stream: each source read from the cursor on (limit + 1 rows)."""
    items = []
    for kind, queryset, time_field in sources:
        rows = (
            _after_cursor(queryset, time_field, rank_of(kind), cursor)
            .order_by(f"-{time_field}", "-pk")
            .fetch_mode(models.FETCH_RAISE)[: limit + 1]
        )
        template = "" if kind in RANKS else extra_sources.get(kind).template
        items += [Item(kind=kind, at=getattr(row, time_field), id=row.pk, obj=row, template=template) for row in rows]
    items.sort(key=lambda item: (item.at, item.rank, item.id), reverse=True)
    page = Page(items=items[:limit])
    if len(items) > limit:
        page.next_cursor = page.items[-1].cursor
    entries = [item for item in page.items if item.kind == CHANGE]
    names = formatting.resolve_names(formatting.foreign_keys_to_resolve([item.obj for item in entries]))
    for item in entries:
        item.changes = formatting.field_changes(item.obj, names, skip_empty=item.obj.action == LogEntry.Action.CREATE)
    for item in page.items:
        if item.kind == QUOTE:
            item.story = quote_events.describe(item.obj)
    mails = [item.obj for item in page.items if item.kind == MAIL]
    if mails:
        prefetch_related_objects(mails, Prefetch("participants", queryset=Participant.objects.order_by("pk")))
    return page


def _page_size(limit):
    return limit or settings.TIMELINE_PAGE_SIZE


def _entries(condition):
    """Audit entries of the records in `condition`, without the stage and status changes
    (their own history rows tell those, with the stage names of the time)."""
    return LogEntry.objects.filter(condition, in_history=False).select_related("actor")


def _activities(condition):
    return Activity.objects.filter(condition).select_related("assignee", "created_by", "rule")


def _quote_events(condition):
    """What happened to quotes (QuoteEvent, indexed on deal and time), with the quote and the user."""
    return QuoteEvent.objects.filter(condition).select_related("quote", "actor")


def _of(model, ids):
    return Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)


def deal_timeline(*, user, deal, before=None, limit=None):
    """The timeline of a deal the viewer sees (get it with `deal_get_for_user`).

    Queries: audit entries, stage changes, activities planned, activities done, quote events,
    the e-mails `user` may read, then the names behind foreign-key changes (one per related
    model on the page) and the e-mails' participants."""
    limit = _page_size(limit)
    entries = _entries(Q(content_type=ContentType.objects.get_for_model(Deal), object_id=deal.pk))
    sources = [
        (CHANGE, entries, "timestamp"),
        (STAGE, StageChange.objects.filter(deal=deal).select_related("from_stage", "to_stage", "actor"), "at"),
        (PLANNED, _activities(Q(deal=deal)), "created_at"),
        (DONE, _activities(Q(deal=deal, done_at__isnull=False)), "done_at"),
        (QUOTE, _quote_events(Q(deal=deal)), "at"),
        (MAIL, mail_selectors.messages_for_deal(user=user, deal=deal), "sent_at"),
    ]
    return _merge(sources, before, limit)


def lead_timeline(*, user, lead, before=None, limit=None):
    """The timeline of a lead the viewer sees (get it with `lead_get_for_user`), with the
    e-mails `user` may read."""
    limit = _page_size(limit)
    entries = _entries(Q(content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk))
    sources = [
        (CHANGE, entries, "timestamp"),
        (STATUS, LeadStatusChange.objects.filter(lead=lead).select_related("actor"), "at"),
        (PLANNED, _activities(Q(lead=lead)), "created_at"),
        (DONE, _activities(Q(lead=lead, done_at__isnull=False)), "done_at"),
        (MAIL, mail_selectors.messages_for_lead(user=user, lead=lead), "sent_at"),
        *_registered("for_lead", user=user, lead=lead),
    ]
    return _merge(sources, before, limit)


def _registered(reader, **record):
    """The sources registered for this kind of timeline (timeline.sources)."""
    for source in registered_sources():
        read = getattr(source, reader)
        if read is not None:
            yield source.kind, read(**record), source.time_field


def registered_sources():
    return extra_sources.registered()


# --- organizations and contacts -----------------------------------------------------------------


def _customer_timeline(*, user, record, field, own, mail, before, limit, extra=()):
    """The timeline of an organization or a contact (`field` names the foreign key of deals and
    leads pointing at it): its own changes (`own`, a Q over audit entries), the timelines of
    the deals (with their quotes) and leads pointing at it that the user sees (a hidden deal or
    lead adds nothing), and its e-mails the user may read (`mail`, a queryset)."""
    limit = _page_size(limit)
    # The visible deals and leads of one customer are few: read their ids once (one query), so
    # that each source below is an index scan over a list of ids (an OR of two subqueries made
    # PostgreSQL scan every activity: 30 ms instead of 1 ms at 100,000 deals).
    ids = (
        Deal.objects.filter(scoping.visible_owner_q(user), **{field: record})
        .order_by()
        .values_list("pk", models.Value("deal"))
        .union(
            lead_selectors.lead_list_for_user(user=user)
            .filter(**{field: record})
            .order_by()
            .values_list("pk", models.Value("lead")),
            all=True,
        )
        .order_by()
    )
    deal_ids, lead_ids = [], []
    for pk, kind in ids:
        (deal_ids if kind == "deal" else lead_ids).append(pk)
    entries = _entries(own | _of(Deal, deal_ids) | _of(Lead, lead_ids))
    parents = Q(deal_id__in=deal_ids) | Q(lead_id__in=lead_ids)
    sources = [
        (CHANGE, entries, "timestamp"),
        (
            STAGE,
            StageChange.objects.filter(deal_id__in=deal_ids).select_related("from_stage", "to_stage", "actor", "deal"),
            "at",
        ),
        (STATUS, LeadStatusChange.objects.filter(lead_id__in=lead_ids).select_related("actor", "lead"), "at"),
        (PLANNED, _activities(parents).select_related("deal", "lead"), "created_at"),
        (DONE, _activities(parents & Q(done_at__isnull=False)).select_related("deal", "lead"), "done_at"),
        (QUOTE, _quote_events(Q(deal_id__in=deal_ids)).select_related("deal"), "at"),
        (MAIL, mail, "sent_at"),
        *extra,
    ]
    page = _merge(sources, before, limit)
    for item in page.items:
        item.record_label, item.record_url = _record_of(item, type(record))
    return page


def organization_timeline(*, user, organization, before=None, limit=None):
    """The organization's own changes and its contacts', and the timelines of its visible deals
    and leads."""
    own = Q(content_type=ContentType.objects.get_for_model(Organization), object_id=organization.pk) | _of(
        Contact, Contact.objects.filter(organization=organization).values("pk")
    )
    mail = mail_selectors.messages_for_organization(user=user, organization=organization)
    return _customer_timeline(
        user=user, record=organization, field="organization", own=own, mail=mail, before=before, limit=limit
    )


def contact_timeline(*, user, contact, before=None, limit=None):
    """The contact's own changes and the timelines of its visible deals and leads."""
    own = Q(content_type=ContentType.objects.get_for_model(Contact), object_id=contact.pk)
    mail = mail_selectors.messages_for_contact(user=user, contact=contact)
    extra = list(_registered("for_contact", user=user, contact=contact))
    return _customer_timeline(
        user=user, record=contact, field="contact", own=own, mail=mail, before=before, limit=limit, extra=extra
    )


def _record_of(item, own_model):
    """(label, URL) of the deal, lead or contact an item on the timeline of a record of
    `own_model` (an organization or a contact) belongs to; nothing for the record itself."""
    obj = item.obj
    if item.template:
        return "", ""  # a registered source's item is about the person whose timeline it is
    if item.kind == CHANGE:
        model = formatting.entry_model(obj)
        if model is Deal:
            return obj.object_repr, reverse("deals:detail", args=[obj.object_id])
        if model is Lead:
            return obj.object_repr, reverse("leads:detail", args=[obj.object_id])
        if model is own_model:
            return "", ""
        if model is Contact:
            return obj.object_repr, reverse("contacts:detail", args=[obj.object_id])
        return obj.object_repr, ""
    if item.kind == STAGE:
        return obj.deal.title, reverse("deals:detail", args=[obj.deal_id])
    if item.kind == STATUS:
        return str(obj.lead), reverse("leads:detail", args=[obj.lead_id])
    if item.kind == MAIL and not (obj.deal_id or obj.lead_id):
        return "", ""
    if obj.deal_id:
        return obj.deal.title, reverse("deals:detail", args=[obj.deal_id])
    return str(obj.lead), reverse("leads:detail", args=[obj.lead_id])
