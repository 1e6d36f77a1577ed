"""The organization pages: the list (scoped, filtered, sorted, paged), create and edit with
clear errors, the 360° page's figures, delete into the trash and restore."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Organization
from tests import factories

LIST = reverse("organizations:list")
HTMX = {"HTTP_HX_REQUEST": "true"}


def names(response):
    html = response.content.decode()
    table = html.split('data-testid="organization-table"')[1].split("</table>")[0]
    return [org.name for org in Organization.all_objects.all() if f">{org.name}</a>" in table]


@pytest.fixture
def world(rep, teammate, outsider, stages):
    mine = factories.OrganizationFactory(name="Alpha GmbH", region="south", owner=rep)
    team = factories.OrganizationFactory(name="Beta AG", region="north")
    factories.DealFactory(owner=teammate, organization=team, stage=stages[0], value=5000)
    through_lead = factories.OrganizationFactory(name="Gamma KG", region="north")
    factories.LeadFactory(owner=rep, organization=through_lead)
    hidden = factories.OrganizationFactory(name="Delta SE", region="south")
    factories.DealFactory(owner=outsider, organization=hidden, stage=stages[0])
    return {"mine": mine, "team": team, "lead": through_lead, "hidden": hidden}


def test_a_rep_lists_what_they_own_and_what_their_teams_deals_and_leads_belong_to(client, rep, world):
    client.force_login(rep)
    assert sorted(names(client.get(LIST))) == ["Alpha GmbH", "Beta AG", "Gamma KG"]


def test_an_admin_lists_every_organization_but_not_the_trash(client, admin, world):
    Organization.objects.filter(pk=world["lead"].pk).update(deleted_at=timezone.now())
    client.force_login(admin)
    assert sorted(names(client.get(LIST))) == ["Alpha GmbH", "Beta AG", "Delta SE"]


def test_an_organization_outside_the_scope_is_not_found(client, rep, world):
    client.force_login(rep)
    for name in ("detail", "edit", "delete", "timeline"):
        assert client.get(reverse(f"organizations:{name}", args=[world["hidden"].pk])).status_code == 404


def test_filters_combine_and_the_table_comes_alone_for_htmx(client, rep, world, stages):
    client.force_login(rep)
    assert names(client.get(LIST, {"region": "north"})) == ["Beta AG", "Gamma KG"]
    assert names(client.get(LIST, {"region": "north", "open_deals": "yes"})) == ["Beta AG"]
    assert sorted(names(client.get(LIST, {"open_deals": "no"}))) == ["Alpha GmbH", "Gamma KG"]
    assert names(client.get(LIST, {"q": "gam"})) == ["Gamma KG"]
    partial = client.get(LIST, {"q": "beta"}, **HTMX).content.decode()
    assert partial.strip().startswith('<div id="organization-table">') and "<html" not in partial


def test_last_activity_filter_reads_done_activities_on_visible_deals(client, rep, teammate, world):
    deal = world["team"].deals.get()
    factories.ActivityFactory(deal=deal, assignee=teammate, done_at=timezone.now() - timedelta(days=3))
    client.force_login(rep)
    assert names(client.get(LIST, {"activity": "7"})) == ["Beta AG"]
    assert sorted(names(client.get(LIST, {"activity": "none90"}))) == ["Alpha GmbH", "Gamma KG"]


def test_sorting_by_open_value_puts_the_largest_first(client, rep, world, stages):
    factories.DealFactory(owner=rep, organization=world["mine"], stage=stages[0], value=9000)
    client.force_login(rep)
    assert names(client.get(LIST, {"o": "-open_value"}))[:2] == ["Alpha GmbH", "Beta AG"]


def test_an_invalid_filter_shows_no_rows_rather_than_failing(client, rep, world):
    client.force_login(rep)
    response = client.get(LIST, {"region": "atlantis"})
    assert response.status_code == 200
    assert names(response) == []


def test_the_list_costs_the_same_queries_at_two_sizes(client, rep, stages):
    client.force_login(rep)

    def grow(n):
        for _ in range(n):
            organization = factories.OrganizationFactory(owner=rep)
            factories.DealFactory(owner=rep, organization=organization, stage=stages[0])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    grow(3)
    small = count()
    grow(60)
    assert count() == small


def test_creating_normalises_the_phone_and_checks_the_vat_id(client, rep):
    client.force_login(rep)
    data = {"name": "  Müller   Bau GmbH ", "phone": "030 1234567", "vat_id": "de 123-456-789", "country": "de"}
    response = client.post(reverse("organizations:create"), data)
    organization = Organization.objects.get(name="Müller Bau GmbH")
    assert response.url == reverse("organizations:detail", args=[organization.pk])
    assert (organization.phone, organization.vat_id, organization.country) == ("+49301234567", "DE123456789", "DE")
    assert organization.owner == rep
    page = client.get(response.url).content.decode()
    assert "030 1234567" in page


def test_bad_input_re_renders_with_messages_and_keeps_what_was_typed(client, rep):
    client.force_login(rep)
    data = {"name": "Kaputt GmbH", "phone": "12", "vat_id": "123", "country": "Germany", "city": "Köln"}
    response = client.post(reverse("organizations:create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "not a valid phone number" in html and "VAT ID starts with the country code" in html
    assert "two-letter country code" in html and 'value="Köln"' in html
    assert not Organization.objects.filter(name="Kaputt GmbH").exists()


def test_a_rep_cannot_hand_an_organization_to_a_teammate(client, rep, teammate, world):
    client.force_login(rep)
    url = reverse("organizations:edit", args=[world["mine"].pk])
    response = client.post(url, {"name": "Alpha GmbH", "owner": teammate.pk})
    assert response.status_code == 400
    world["mine"].refresh_from_db()
    assert world["mine"].owner == rep


def test_the_360_page_shows_lifetime_value_open_pipeline_and_next_contact(client, rep, stages):
    organization = factories.OrganizationFactory(name="Kunde GmbH", owner=rep)
    won = factories.DealFactory(owner=rep, organization=organization, stage=stages[0], value=1200)
    won.status, won.won_at = "won", timezone.now()
    won.save()
    open_deal = factories.DealFactory(owner=rep, organization=organization, stage=stages[0], value=800)
    factories.ActivityFactory(deal=open_deal, subject="Call back", due_at=timezone.now() + timedelta(days=2))
    client.force_login(rep)
    html = client.get(reverse("organizations:detail", args=[organization.pk])).content.decode()
    figures = html.split('data-testid="organization-figures"')[1].split('<div class="grid')[0]
    assert "1,200" in figures and "800" in figures
    assert "Call back" in html.split('data-testid="organization-planned"')[1]


def test_an_organization_with_deals_is_not_deleted_and_the_page_says_why(client, rep, world):
    client.force_login(rep)
    url = reverse("organizations:delete", args=[world["mine"].pk])
    factories.LeadFactory(owner=rep, organization=world["mine"])
    assert 'data-testid="delete-blocked"' in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 400
    assert "Move them to another record first" in response.content.decode()
    assert Organization.objects.filter(pk=world["mine"].pk).exists()


def test_delete_goes_to_the_trash_and_restore_brings_it_back(client, rep):
    organization = factories.OrganizationFactory(name="Weg GmbH", owner=rep)
    factories.ContactFactory(organization=organization, owner=rep)
    client.force_login(rep)
    response = client.post(reverse("organizations:delete", args=[organization.pk]))
    assert response.url == LIST
    assert client.get(reverse("organizations:detail", args=[organization.pk])).status_code == 404
    trash = client.get(reverse("organizations:trash")).content.decode()
    assert "Weg GmbH" in trash
    response = client.post(reverse("organizations:restore", args=[organization.pk]))
    assert response.url == reverse("organizations:detail", args=[organization.pk])
    assert organization.contacts.count() == 1


def test_someone_elses_trash_cannot_be_restored_by_a_rep(client, rep, teammate):
    organization = factories.OrganizationFactory(owner=teammate)
    Organization.objects.filter(pk=organization.pk).update(deleted_at=timezone.now(), deleted_by=teammate)
    client.force_login(rep)
    assert "trash is empty" in client.get(reverse("organizations:trash")).content.decode()
    assert client.post(reverse("organizations:restore", args=[organization.pk])).status_code == 404


def test_the_delete_page_names_the_contacts_that_keep_the_organization(client, rep, pipeline):
    organization = factories.OrganizationFactory(name="Gebunden GmbH", owner=rep)
    contact = factories.ContactFactory(organization=organization, last_name="Huber")
    factories.DealFactory(owner=rep, organization=None, contact=contact)
    client.force_login(rep)
    page = client.get(reverse("organizations:delete", args=[organization.pk])).content.decode()
    blocked = page.split('data-testid="delete-blocked-contacts"')[1].split("</p>")[0]
    assert "Huber" in blocked
    assert 'data-testid="confirm-delete"' not in page
