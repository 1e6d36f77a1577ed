"""The global search: deals, leads, organizations, contacts and activities the user may see.

Each record type is read in one query from its own app's scoped selector (the same rules as its
list and its page: out of scope never appears), ranked, and cut at `limit` + 1 rows (the extra row
only says "there is more"). A search therefore costs a fixed number of queries whatever the data
size: on PostgreSQL one to set the trigram threshold and one per type, in one transaction; on SQLite
one per type.

PostgreSQL (docs/search.md):
- deals, leads, organizations, contacts: the folded query (search/fold.py) is word-similar
  (pg_trgm `%>`) to the folded names and e-mail addresses, nearest first by word distance
  (`<->>`). GIN and GiST trigram indexes answer it: GIN when few rows match, GiST when many do
  (it returns them nearest first, so LIMIT stops the scan).
- activities: German and English full-text search over subject and note (stems: "Angebote"
  finds "Angebot", "trucks" finds "truck"), a GIN index on the two vectors; rank `ts_rank`.
SQLite (the embedded mode, no trigram or text search): every word of the query must occur in the
folded record text (`LIKE`), which keeps umlauts and case but not typos; names that start with the
first word come first.
"""

from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connection, models, transaction
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from activities import selectors as activity_selectors
from customers.models import Contact, Organization
from deals import selectors as deal_selectors
from leads import selectors as lead_selectors
from search import documents
from search.fold import fold

MIN_LENGTH = 2
MAX_LENGTH = 100
MAX_WORDS = 5
# pg_trgm's word similarity (shared trigrams / all trigrams of the query and the closest part of
# the text) from which a name counts as found. Its default, 0.6, misses a one-letter typo in the
# middle of a six-letter name ("mulker"/"muller": 4 of 10 trigrams, 0.4) and two swapped letters
# ("schnieder"/"schneider": 6 of 14, 0.43); 0.3 is pg_trgm's own default for plain similarity.
WORD_SIMILARITY_THRESHOLD = 0.3


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    detail: str = ""


@dataclass
class Group:
    kind: str
    label: str
    hits: list = field(default_factory=list)
    more_url: str = ""
    has_more: bool = False


KINDS = {
    "deals": _("Deals"),
    "leads": _("Leads"),
    "organizations": _("Organizations"),
    "contacts": _("Contacts"),
    "activities": _("Activities"),
}


def normalise(text):
    """The query as searched: spaces collapsed, at most MAX_WORDS words."""
    return " ".join((text or "").split()[:MAX_WORDS])


def _postgres():
    return connection.vendor == "postgresql"


def _matching(queryset, fields, text):
    """`queryset` cut to the rows whose names match `text`, best first (then the caller's order)."""
    folded = fold(text)
    doc = documents.Folded(*fields)
    if _postgres():
        # Nearest first by word distance: a GiST index returns rows in this order, so the first
        # `limit` visible ones are found without ranking every match (docs/search.md).
        return queryset.filter(TrigramWordSimilar(doc, folded)).annotate(
            search_rank=documents.WordDistance(doc, Value(folded))
        )
    return _fallback(queryset, doc, folded)


def _fallback(queryset, doc, folded):
    """SQLite: every word in the folded text; the records that start with the first word first."""
    queryset = queryset.alias(search_doc=doc)
    for word in folded.split():
        queryset = queryset.filter(search_doc__contains=word)
    first = folded.split()[0]
    return queryset.annotate(search_rank=Case(When(search_doc__startswith=first, then=Value(0.0)), default=Value(1.0)))


def _words(queryset, fields, text):
    """Activities: German and English words; every match ranks the same, so the newest come
    first. (ts_rank would rebuild the vector of every match: 120 ms for a word in a fifth of
    90,000 activities, where the index alone answers which ones match.)"""
    if _postgres():
        vector, query = documents.Words(*fields), documents.WordsQuery(text)
        return queryset.filter(documents.WordsMatch(vector, query)).annotate(search_rank=Value(0.0))
    return _fallback(queryset, documents.Folded(*fields), fold(text))


def _top(queryset, limit, *order, nearest_first=True):
    """The first `limit` + 1 rows by `search_rank`, then by `order` among equal ranks.

    PostgreSQL sorts by the rank alone: a GiST index returns rows in that order only when it is
    the whole ORDER BY (a tie-breaker makes PostgreSQL rank every match first). The tie-breakers
    are applied to the fetched rows; which of several equally near rows make the cut is left to
    the index. Without `nearest_first` (words, which all rank the same) the whole order is SQL's."""
    if not (_postgres() and nearest_first):
        return list(queryset.order_by("search_rank", *order).fetch_mode(models.FETCH_RAISE)[: limit + 1])
    rows = list(queryset.order_by("search_rank").fetch_mode(models.FETCH_RAISE)[: limit + 1])
    for key in reversed(order):
        descending, name = key.startswith("-"), key.lstrip("-")
        rows.sort(key=lambda row: (getattr(row, name) is None, getattr(row, name)), reverse=descending)
    rows.sort(key=lambda row: row.search_rank)
    return rows


def _list_url(name, text):
    return f"{reverse(name)}?{urlencode({'q': text})}"


def _deals(user, text, limit):
    rows = _matching(
        deal_selectors.deal_list_for_user(user=user).select_related(None).select_related("stage", "organization"),
        documents.DEAL,
        text,
    )
    hits = [
        Hit(
            title=deal.title,
            url=reverse("deals:detail", args=[deal.pk]),
            detail=" · ".join(
                part
                for part in (
                    deal.stage.name if deal.status == deal.Status.OPEN else deal.get_status_display(),
                    deal.organization.name if deal.organization else "",
                )
                if part
            ),
        )
        for deal in _top(rows, limit, "-created_at", "pk")
    ]
    return hits, _list_url("deals:board", text)


def _leads(user, text, limit):
    rows = _matching(lead_selectors.lead_list_for_user(user=user).select_related(None), documents.LEAD, text)
    hits = [
        Hit(
            title=f"{lead.first_name} {lead.last_name}".strip(),
            url=reverse("leads:detail", args=[lead.pk]),
            detail=" · ".join(part for part in (lead.company_name, lead.email, lead.get_status_display()) if part),
        )
        for lead in _top(rows, limit, "last_name", "first_name", "pk")
    ]
    return hits, _list_url("leads:list", text)


def _organizations(user, text, limit):
    rows = _matching(
        _organization_list_for_user(user),
        documents.ORGANIZATION,
        text,
    )
    hits = [
        Hit(
            title=organization.name,
            url=reverse("organizations:detail", args=[organization.pk]),
            detail=" · ".join(part for part in (organization.city, organization.email_domain) if part),
        )
        for organization in _top(rows, limit, "name", "pk")
    ]
    return hits, _list_url("organizations:list", text)


def _visible_through(queryset, user, parent_field, *, also=None):
    """`queryset` (organizations or contacts) cut to the rows with an owner the user sees or a deal
    or a lead the user sees — the rule of directory.selectors (organization_visible_q,
    contact_visible_q), written for reading a few rows along an index.

    "Has a visible deal / lead" is `(SELECT id … LIMIT 1) IS NOT NULL`, checked row by row: the
    directory's EXISTS under an OR is planned as a hash of all the user's deals and leads (60,000
    and 30,000 ids for a rep at 100,000 deals, 0.1–1 s) before the first row is read, which suits
    its lists (they read every row) but not a search that stops after eleven. tests/search check
    that both rules give the same rows."""
    deals = deal_selectors.deal_list_for_user(user=user).select_related(None).order_by()
    leads = lead_selectors.lead_list_for_user(user=user).select_related(None).order_by()
    visible = (
        (Q(owner__isnull=False) & scoping.visible_owner_q(user))
        | Q(search_deal__isnull=False)
        | Q(search_lead__isnull=False)
    )
    return queryset.alias(
        search_deal=Subquery(deals.filter(**{parent_field: OuterRef("pk")}).values("pk")[:1]),
        search_lead=Subquery(leads.filter(**{parent_field: OuterRef("pk")}).values("pk")[:1]),
    ).filter(visible | also if also is not None else visible)


def _organization_list_for_user(user):
    if scoping.is_admin(user):
        return Organization.objects.all()
    return _visible_through(Organization.objects.all(), user, "organization")


def _contact_list_for_user(user):
    """A contact is also visible through its organization (looked up row by row, as above)."""
    if scoping.is_admin(user):
        return Contact.objects.all()
    organization = _organization_list_for_user(user).filter(pk=OuterRef("organization_id")).values("pk")[:1]
    contacts = Contact.objects.alias(search_organization=Subquery(organization))
    return _visible_through(contacts, user, "contact", also=Q(search_organization__isnull=False))


def _contacts(user, text, limit):
    rows = _matching(
        _contact_list_for_user(user).select_related("organization"),
        documents.CONTACT,
        text,
    )
    hits = [
        Hit(
            title=str(contact),
            url=reverse("contacts:detail", args=[contact.pk]),
            detail=" · ".join(
                part for part in (contact.organization.name if contact.organization else "", contact.email) if part
            ),
        )
        for contact in _top(rows, limit, "last_name", "first_name", "pk")
    ]
    return hits, _list_url("contacts:list", text)


def _activities(user, text, limit):
    rows = _words(
        activity_selectors.activity_list_for_user(user=user).select_related(None), documents.ACTIVITY, text
    ).annotate(
        deal_title=F("deal__title"),
        lead_first_name=F("lead__first_name"),
        lead_last_name=F("lead__last_name"),
    )
    hits = []
    for activity in _top(rows, limit, "-due_at", "-pk", nearest_first=False):
        parent = activity.deal_title or f"{activity.lead_first_name or ''} {activity.lead_last_name or ''}".strip()
        hits.append(
            Hit(
                title=activity.subject,
                url=activity_selectors.parent_url(deal_id=activity.deal_id, lead_id=activity.lead_id),
                detail=" · ".join(part for part in (activity.get_kind_display(), parent) if part),
            )
        )
    return hits, f"{reverse('search:page')}?{urlencode({'q': text, 'type': 'activities'})}"


READERS = {
    "deals": _deals,
    "leads": _leads,
    "organizations": _organizations,
    "contacts": _contacts,
    "activities": _activities,
}


def search_for_user(*, user, text, limit, kinds=None):
    """The groups of hits for `text` (already validated: MIN_LENGTH to MAX_LENGTH characters), in
    KINDS order, each with at most `limit` hits and whether there are more. Empty groups are kept
    (the template says "nothing" once for all of them)."""
    text = normalise(text)
    if not _postgres():
        return _groups(user, text, limit, kinds)
    # One transaction, so that the threshold is set for exactly these queries (SET LOCAL), also
    # behind a pooler that hands each transaction another server connection.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(WORD_SIMILARITY_THRESHOLD)]
            )
        return _groups(user, text, limit, kinds)


def _groups(user, text, limit, kinds):
    groups = []
    for kind in kinds or KINDS:
        hits, more_url = READERS[kind](user, text, limit)
        groups.append(
            Group(kind=kind, label=KINDS[kind], hits=hits[:limit], more_url=more_url, has_more=len(hits) > limit)
        )
    return groups
