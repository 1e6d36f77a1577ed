"""The global search: deals, leads, organizations, contacts and activities the user may see.

Each record type is read in one query from its own app's scoped selector (the same rules as its
list and its page: out of scope never appears), ranked, and cut at `limit` + 1 rows (the extra row
only says "there is more"). A search therefore costs a fixed number of queries whatever the data
size: on PostgreSQL one to set the trigram threshold and one per type; on SQLite one per type.

PostgreSQL (docs/search.md):
- names and e-mail addresses: the folded query (search/fold.py) is word-similar (pg_trgm `%>`) to
  the folded record text; a GIN trigram index answers it. Rank: `word_similarity`.
- words of deal titles and activity subjects and notes: German and English full-text search
  (stems: "Angebote" finds "Angebot"), GIN indexes on the two vectors. Rank: `ts_rank`.
SQLite (the embedded mode, no trigram or text search): every word of the query must occur in the
folded record text (`LIKE`), which keeps umlauts and case but not typos; names that start with the
first word come first.
"""

from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from activities import selectors as activity_selectors
from deals import selectors as deal_selectors
from directory import selectors as directory_selectors
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


def _matching(queryset, fields, text, *, words=False):
    """`queryset` cut to the rows that match `text`, annotated with `search_rank` (higher first)."""
    folded = fold(text)
    if _postgres():
        doc = documents.Folded(*fields)
        condition = Q(TrigramWordSimilar(doc, folded))
        rank = TrigramWordSimilarity(folded, doc)
        if words:
            vector, query = documents.Words(*fields), documents.WordsQuery(text)
            condition |= Q(documents.WordsMatch(vector, query))
            rank = rank + documents.WordsRank(vector, query)
        return queryset.filter(condition).annotate(search_rank=rank)
    queryset = queryset.alias(search_doc=documents.Folded(*fields))
    for word in folded.split():
        queryset = queryset.filter(search_doc__contains=word)
    first = folded.split()[0]
    return queryset.annotate(search_rank=Case(When(search_doc__startswith=first, then=Value(1.0)), default=Value(0.0)))


def _words_only(queryset, fields, text):
    """Activities: words only (their subjects repeat too much for trigrams to rank them)."""
    if _postgres():
        vector, query = documents.Words(*fields), documents.WordsQuery(text)
        return queryset.filter(documents.WordsMatch(vector, query)).annotate(
            search_rank=documents.WordsRank(vector, query)
        )
    return _matching(queryset, fields, text)


def _list_url(name, text):
    return f"{reverse(name)}?{urlencode({'q': text})}"


def _deals(user, text, limit):
    rows = _matching(
        deal_selectors.deal_list_for_user(user=user).select_related(None).select_related("stage", "organization"),
        documents.DEAL,
        text,
        words=True,
    ).order_by("-search_rank", "-created_at", "pk")
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
        for deal in rows.fetch_mode(models.FETCH_RAISE)[: limit + 1]
    ]
    return hits, _list_url("deals:board", text)


def _leads(user, text, limit):
    rows = _matching(lead_selectors.lead_list_for_user(user=user).select_related(None), documents.LEAD, text).order_by(
        "-search_rank", "last_name", "first_name", "pk"
    )
    hits = [
        Hit(
            title=f"{lead.first_name} {lead.last_name}".strip(),
            url=reverse("leads:detail", args=[lead.pk]),
            detail=" · ".join(part for part in (lead.company_name, lead.email, lead.get_status_display()) if part),
        )
        for lead in rows.fetch_mode(models.FETCH_RAISE)[: limit + 1]
    ]
    return hits, _list_url("leads:list", text)


def _organizations(user, text, limit):
    rows = _matching(
        directory_selectors.organization_list_for_user(user=user).select_related(None),
        documents.ORGANIZATION,
        text,
    ).order_by("-search_rank", "name", "pk")
    hits = [
        Hit(
            title=organization.name,
            url=reverse("organizations:detail", args=[organization.pk]),
            detail=" · ".join(part for part in (organization.city, organization.email_domain) if part),
        )
        for organization in rows.fetch_mode(models.FETCH_RAISE)[: limit + 1]
    ]
    return hits, _list_url("organizations:list", text)


def _contacts(user, text, limit):
    rows = _matching(
        directory_selectors.contact_list_for_user(user=user).select_related(None).select_related("organization"),
        documents.CONTACT,
        text,
    ).order_by("-search_rank", "last_name", "first_name", "pk")
    hits = [
        Hit(
            title=str(contact),
            url=reverse("contacts:detail", args=[contact.pk]),
            detail=" · ".join(
                part for part in (contact.organization.name if contact.organization else "", contact.email) if part
            ),
        )
        for contact in rows.fetch_mode(models.FETCH_RAISE)[: limit + 1]
    ]
    return hits, _list_url("contacts:list", text)


def _activities(user, text, limit):
    rows = (
        _words_only(activity_selectors.activity_list_for_user(user=user).select_related(None), documents.ACTIVITY, text)
        .annotate(
            deal_title=F("deal__title"),
            lead_first_name=F("lead__first_name"),
            lead_last_name=F("lead__last_name"),
        )
        .order_by("-search_rank", F("due_at").desc(nulls_last=True), "-pk")
    )
    hits = []
    for activity in rows.fetch_mode(models.FETCH_RAISE)[: limit + 1]:
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
    if _postgres():
        with connection.cursor() as cursor:
            # Session-wide on purpose: only the search's trigram operators read this setting.
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(WORD_SIMILARITY_THRESHOLD)]
            )
    groups = []
    for kind in kinds or KINDS:
        hits, more_url = READERS[kind](user, text, limit)
        groups.append(
            Group(kind=kind, label=KINDS[kind], hits=hits[:limit], more_url=more_url, has_more=len(hits) > limit)
        )
    return groups
