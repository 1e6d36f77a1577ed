"""PostgreSQL's search: trigrams over folded names (umlauts, transcriptions, one-letter typos),
German and English full-text search over words, the ranking, and the indexes the plans use."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from search import selectors
from search.fold import fold
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
PAGE = reverse("search:page")


def found(user, text, kind):
    groups = selectors.search_for_user(user=user, text=text, limit=10, kinds=[kind])
    return [hit.title for hit in groups[0].hits]


@pytest.fixture
def people(rep):
    organization = factories.OrganizationFactory(name="Hansa Logistik GmbH", owner=rep)
    for first, last in [
        ("Jana", "Müller"),
        ("Uwe", "Mueller"),
        ("Tom", "Muller"),
        ("Lena", "Schneider"),
        ("Karl", "Schröder"),
        ("Eva", "Weißmann"),
        ("Olga", "Meyer"),
    ]:
        factories.ContactFactory(first_name=first, last_name=last, organization=organization)
    return organization


@pytest.mark.parametrize("query", ["Müller", "Mueller", "Muller", "müller"])
def test_every_spelling_of_mueller_finds_all_three(rep, people, query):
    assert set(found(rep, query, "contacts")) == {"Jana Müller", "Uwe Mueller", "Tom Muller"}


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Schnieder", "Lena Schneider"),  # two letters swapped
        ("Schneidr", "Lena Schneider"),  # one left out
        ("Schneidar", "Lena Schneider"),  # one wrong
        ("Schroeder", "Karl Schröder"),
        ("Schroder", "Karl Schröder"),
        ("Schröter", "Karl Schröder"),  # a typo on top of the umlaut
        ("Weissmann", "Eva Weißmann"),
        ("Weismann", "Eva Weißmann"),
    ],
)
def test_a_typo_in_a_long_name_still_finds_it(rep, people, query, name):
    assert name in found(rep, query, "contacts")


def test_a_typo_finds_the_closest_name_first_and_no_unrelated_one(rep, people):
    assert found(rep, "Schnieder", "contacts")[0] == "Lena Schneider"
    assert set(found(rep, "Mulker", "contacts")[:3]) == {"Tom Muller", "Jana Müller", "Uwe Mueller"}
    assert found(rep, "Xylophon", "contacts") == []
    assert found(rep, "Olga", "contacts") == ["Olga Meyer"]


def test_the_exact_name_ranks_before_a_typo_match(rep, people):
    factories.ContactFactory(first_name="Ina", last_name="Meier", organization=people)
    assert found(rep, "Meyer", "contacts")[0] == "Olga Meyer"
    assert found(rep, "Meier", "contacts")[0] == "Ina Meier"


def test_another_form_of_a_word_in_a_deal_title_finds_it(rep):
    factories.DealFactory(title="Angebote für die Lagerhallen", owner=rep)
    factories.DealFactory(title="Rahmenvertrag Fuhrpark", owner=rep)
    factories.DealFactory(title="Fleet renewal", owner=rep)
    assert found(rep, "Angebot Lagerhalle", "deals") == ["Angebote für die Lagerhallen"]
    assert found(rep, "Rahmenverträge", "deals") == ["Rahmenvertrag Fuhrpark"]
    assert found(rep, "renewals", "deals") == ["Fleet renewal"]


def test_english_words_in_activity_notes_are_found_by_their_stem(rep):
    deal = factories.DealFactory(title="Fleet renewal", owner=rep)
    factories.ActivityFactory(deal=deal, subject="Call", note="She asked for the running costs of the trucks")
    factories.ActivityFactory(deal=deal, subject="Meeting", note="Nothing relevant")
    assert found(rep, "truck cost", "activities") == ["Call"]


def test_german_stop_words_and_stems_in_activities(rep):
    deal = factories.DealFactory(title="Dach", owner=rep)
    factories.ActivityFactory(deal=deal, subject="Besuch", note="Die Verträge wurden unterschrieben")
    assert found(rep, "Vertrag unterschreiben", "activities") == []  # German stems differ: no false promise
    assert found(rep, "die Verträge", "activities") == ["Besuch"]
    assert found(rep, "unterschrieben", "activities") == ["Besuch"]


def test_an_activity_note_in_german_is_found(rep):
    deal = factories.DealFactory(title="Solar Dach", owner=rep)
    factories.ActivityFactory(deal=deal, subject="Besuch", note="Die Kundin wünscht Prüfberichte der Wechselrichter")
    assert found(rep, "Prüfbericht Wechselrichter", "activities") == ["Besuch"]


def test_the_python_fold_and_the_sql_fold_agree(db):
    samples = ["Müller", "MUELLER", "Straße", "Ærø", "José Ñoño", "Łódź", "Gößweinstein", "Zoë", "a@b.de", ""]
    with connection.cursor() as cursor:
        for sample in samples:
            cursor.execute("SELECT search_fold(%s)", [sample])
            assert cursor.fetchone()[0] == fold(sample), sample


def _plan(queryset):
    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("kind", "index"),
    [
        ("deals", "search_deal_gi"),  # search_deal_gin or search_deal_gist
        ("leads", "search_lead_gi"),
        ("organizations", "search_organization_gi"),
        ("contacts", "search_contact_gi"),
        ("activities", "search_activity_fts"),
    ],
)
def test_each_query_can_use_its_indexes(admin, kind, index, monkeypatch):
    """The expressions of search/documents.py are the ones of migration search/0001 (with
    sequential scans off, so that an empty test table does not hide a mismatch)."""
    captured = []
    original = selectors.READERS[kind]

    def spy(user, text, limit):
        from django.db.models.query import QuerySet

        real_getitem = QuerySet.__getitem__

        def getitem(self, k):
            if isinstance(k, slice) and (k.stop or 0) > 1:  # not a scope subquery's [:1]
                captured.append(self)
            return real_getitem(self, k)

        monkeypatch.setattr(QuerySet, "__getitem__", getitem)
        try:
            return original(user, text, limit)
        finally:
            monkeypatch.setattr(QuerySet, "__getitem__", real_getitem)

    monkeypatch.setitem(selectors.READERS, kind, spy)
    selectors.search_for_user(user=admin, text="Müller", limit=5, kinds=[kind])
    plan = _plan(captured[0])
    assert index in plan, plan


def test_the_scope_holds_for_fuzzy_matches_too(rep, outsider):
    factories.DealFactory(title="Schneider Dachstuhl", owner=outsider)
    factories.DealFactory(title="Schneider Fenster", owner=rep)
    assert found(rep, "Schnieder", "deals") == ["Schneider Fenster"]
    assert found(outsider, "Schnieder", "deals") == ["Schneider Dachstuhl"]
    assert found(User.objects.get(pk=rep.pk), "Dachstuhl", "deals") == []
