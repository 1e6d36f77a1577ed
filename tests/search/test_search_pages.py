"""The global search page and the header's dropdown, on either database: scoping per role, the
umlaut folding both backends share, the answers to empty, short and refused queries, and a fixed
number of queries whatever the data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Contact
from search import selectors
from tests import factories

pytestmark = pytest.mark.django_db
PAGE = reverse("search:page")
HTMX = {"HTTP_HX_REQUEST": "true"}


def search(client, q, **extra):
    return client.get(PAGE, {"q": q, **extra.pop("params", {})}, **extra)


def titles(response):
    """The hits' titles per group, from the rendered results."""
    groups = {}
    for group in response.context["groups"] or []:
        groups[group.kind] = [hit.title for hit in group.hits]
    return groups


@pytest.fixture
def records(rep, outsider):
    """One record of each type named Müller for Alice (Team North) and one for Charlie (South)."""
    made = {}
    for owner, tag in ((rep, "Nord"), (outsider, "Sued")):
        organization = factories.OrganizationFactory(name=f"Müller {tag} GmbH", owner=None)
        deal = factories.DealFactory(title=f"Müller {tag} Rollout", owner=owner, organization=organization)
        contact = factories.ContactFactory(first_name="Jana", last_name=f"Müller-{tag}", organization=organization)
        deal.contact = contact
        deal.save(update_fields=["contact"])
        lead = factories.LeadFactory(first_name="Paul", last_name=f"Müller {tag}", owner=owner, organization=None)
        factories.ActivityFactory(deal=deal, subject=f"Müller {tag} call", assignee=owner)
        made[tag] = {"deal": deal, "lead": lead, "organization": organization, "contact": contact}
    return made


def test_each_type_finds_the_users_own_records_and_never_another_teams(client, rep, records):
    client.force_login(rep)
    response = search(client, "Müller")
    assert response.status_code == 200
    found = titles(response)
    assert found["deals"] == ["Müller Nord Rollout"]
    assert found["leads"] == ["Paul Müller Nord"]
    assert found["organizations"] == ["Müller Nord GmbH"]
    assert found["contacts"] == ["Jana Müller-Nord"]
    assert found["activities"] == ["Müller Nord call"]
    assert "Sued" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("teammate", {"Nord"}),
        ("outsider", {"Sued"}),
        ("manager", {"Nord"}),
        ("manager_south", {"Sued"}),
        ("admin", {"Nord", "Sued"}),
    ],
)
def test_every_role_finds_exactly_the_records_of_its_scope(client, request, records, role, sees):
    client.force_login(request.getfixturevalue(role))
    found = titles(search(client, "Müller"))
    for kind in ("deals", "leads", "organizations", "contacts", "activities"):
        tags = {tag for tag in ("Nord", "Sued") if any(tag in title for title in found[kind])}
        assert tags == sees, kind


def test_a_user_without_records_finds_nothing_and_is_told_so(client, records):
    loner = factories.UserFactory(username="lonely")
    client.force_login(loner)
    response = search(client, "Müller")
    assert response.status_code == 200
    assert not response.context["found"]
    assert "Nothing found for" in response.content.decode()


@pytest.mark.parametrize("query", ["Mueller", "muller", "MÜLLER", "müller"])
def test_umlauts_and_their_transcriptions_find_each_other(client, rep, records, query):
    factories.ContactFactory(first_name="Uwe", last_name="Mueller", organization=records["Nord"]["organization"])
    client.force_login(rep)
    found = titles(search(client, query))["contacts"]
    assert "Jana Müller-Nord" in found
    assert "Uwe Mueller" in found


def test_an_e_mail_address_finds_its_contact(client, rep, records):
    contact = records["Nord"]["contact"]
    Contact.objects.filter(pk=contact.pk).update(email="jana.mueller@nord.example")
    client.force_login(rep)
    assert titles(search(client, "jana.müller@nord"))["contacts"] == ["Jana Müller-Nord"]


def test_a_deleted_organization_is_not_found(client, admin, records):
    records["Nord"]["organization"].__class__.all_objects.filter(pk=records["Nord"]["organization"].pk).update(
        deleted_at="2026-01-01T00:00:00Z"
    )
    client.force_login(admin)
    assert titles(search(client, "Müller"))["organizations"] == ["Müller Sued GmbH"]


def test_hits_link_to_their_pages(client, rep, records):
    client.force_login(rep)
    html = search(client, "Müller").content.decode()
    nord = records["Nord"]
    for url in (
        reverse("deals:detail", args=[nord["deal"].pk]),
        reverse("leads:detail", args=[nord["lead"].pk]),
        reverse("organizations:detail", args=[nord["organization"].pk]),
        reverse("contacts:detail", args=[nord["contact"].pk]),
    ):
        assert f'href="{url}"' in html


def test_more_than_the_limit_links_to_the_filtered_list(client, rep):
    for n in range(12):
        factories.OrganizationFactory(name=f"Weber Werk {n}", owner=rep)
    client.force_login(rep)
    response = search(client, "Weber")
    group = next(group for group in response.context["groups"] if group.kind == "organizations")
    assert len(group.hits) == 10
    assert group.has_more
    assert group.more_url == reverse("organizations:list") + "?q=Weber"
    assert 'href="/organizations/?q=Weber"' in response.content.decode()
    one_type = search(client, "Weber", params={"type": "organizations"})
    assert [group.kind for group in one_type.context["groups"]] == ["organizations"]
    assert len(one_type.context["groups"][0].hits) == 12


def test_the_dropdown_is_the_partial_with_five_per_type(client, rep):
    for n in range(7):
        factories.OrganizationFactory(name=f"Weber Werk {n}", owner=rep)
    client.force_login(rep)
    response = search(client, "Weber", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count("data-search-hit") == 5 + 2  # five hits, "more organizations", "all results"
    assert "?q=Weber" in html


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("", 200, "Search deals, leads, organizations, contacts and activities"),
        ("   ", 200, "Search deals, leads, organizations, contacts and activities"),
        ("M", 200, "Type at least 2 characters."),
        ("x" * 101, 400, "Search for at most 100 characters."),
        ("Mül\x00ler", 400, "Null characters are not allowed."),
    ],
)
def test_empty_short_and_refused_queries_get_a_clear_answer(client, rep, query, status, says):
    client.force_login(rep)
    response = search(client, query)
    assert response.status_code == status
    assert says in response.content.decode()
    dropdown = search(client, query, **HTMX)
    assert dropdown.status_code == 200
    assert says in dropdown.content.decode()


def test_an_unknown_type_is_refused(client, rep):
    client.force_login(rep)
    assert search(client, "Müller", params={"type": "secrets"}).status_code == 400


@pytest.mark.parametrize("query", ["%", "_", "\\", "' OR 1=1 --", "a & b | !c", '"unclosed', "<script>x</script>"])
def test_odd_characters_are_searched_for_not_interpreted(client, admin, records, query):
    client.force_login(admin)
    response = search(client, query)
    assert response.status_code == 200
    assert "<script>x</script>" not in response.content.decode()


def test_the_header_box_is_on_every_page_with_its_script(client, rep):
    client.force_login(rep)
    html = client.get(reverse("deals:board")).content.decode()
    assert 'id="global-search"' in html
    assert 'hx-get="/search/"' in html
    assert "js/search.js" in html


def test_a_search_costs_the_same_queries_whatever_the_data_size(client, rep, teammate):
    """Expected: the user (1; the session is cached); on PostgreSQL the trigram threshold (1, in a
    transaction); one query per
    type (5): deals with stage and organization, leads, organizations, contacts with their
    organization, activities with their deal's or lead's name."""
    client.force_login(rep)

    def grow(n):
        for i in range(n):
            owner = rep if i % 2 else teammate
            organization = factories.OrganizationFactory(name=f"Schmidt Werk {i}", owner=owner)
            deal = factories.DealFactory(title=f"Schmidt Projekt {i}", owner=owner, organization=organization)
            factories.ContactFactory(last_name=f"Schmidt {i}", organization=organization)
            factories.LeadFactory(last_name=f"Schmidt {i}", owner=owner)
            factories.ActivityFactory(deal=deal, subject=f"Schmidt call {i}")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = search(client, "Schmidt")
            assert response.status_code == 200
        return len(queries), response

    grow(2)
    small, response = count()
    assert all(len(group.hits) == 2 for group in response.context["groups"])
    grow(20)
    large, response = count()
    assert all(group.has_more for group in response.context["groups"])
    assert large == small
    # On PostgreSQL the search runs in a transaction (BEGIN and COMMIT; inside the test's own
    # transaction, a savepoint and its release).
    assert small == 1 + 5 + (1 + 2 if connection.vendor == "postgresql" else 0)


def test_sqlite_fallback_needs_every_word_and_tolerates_no_typo(client, rep, records):
    """What the embedded mode's search does not do: typos find nothing there."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite fallback")
    client.force_login(rep)
    assert titles(search(client, "Müler"))["contacts"] == []
    assert titles(search(client, "Müller Rollout"))["deals"] == ["Müller Nord Rollout"]
    assert titles(search(client, "Müller Angebot"))["deals"] == []


def test_words_are_capped(rep):
    assert selectors.normalise("  a  b c d e f g ") == "a b c d e"


@pytest.mark.parametrize("role", ["rep", "teammate", "outsider", "manager", "manager_south", "admin"])
def test_the_search_sees_the_customers_the_directory_lists(request, role, rep, outsider, teammate):
    """The search restates the directory's customer rule for reading along an index
    (search.selectors._visible_through); both must give the same rows."""
    from directory import selectors as directory_selectors

    user = request.getfixturevalue(role)
    own = factories.OrganizationFactory(name="Owned", owner=rep)
    through_deal = factories.OrganizationFactory(name="Through deal", owner=None)
    through_lead = factories.OrganizationFactory(name="Through lead", owner=None)
    other = factories.OrganizationFactory(name="Other team", owner=outsider)
    factories.OrganizationFactory(name="Nobody's", owner=None)
    factories.DealFactory(owner=teammate, organization=through_deal)
    factories.LeadFactory(owner=rep, organization=through_lead)
    for organization in (own, through_deal, through_lead, other):
        factories.ContactFactory(organization=organization)
    factories.ContactFactory(organization=None, owner=rep)
    lone = factories.ContactFactory(organization=None, owner=None)
    factories.DealFactory(owner=outsider, organization=None, contact=lone)
    factories.LeadFactory(owner=None, organization=None, contact=factories.ContactFactory(organization=None))

    def ids(queryset):
        return set(queryset.values_list("pk", flat=True))

    assert ids(selectors._organization_list_for_user(user)) == ids(
        directory_selectors.organization_list_for_user(user=user)
    )
    assert ids(selectors._contact_list_for_user(user)) == ids(directory_selectors.contact_list_for_user(user=user))


def test_the_search_speaks_german(client, rep, records):
    client.force_login(rep)
    html = search(client, "Müller", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Organisationen" in html and "Aktivitäten" in html
    assert "Nichts gefunden für „Xylophon“." in search(client, "Xylophon", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Geben Sie mindestens 2 Zeichen ein." in search(client, "M", HTTP_ACCEPT_LANGUAGE="de").content.decode()
