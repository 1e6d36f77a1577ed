"""Duplicates on the pages: the create forms show likely duplicates before saving and save with
"create anyway"; the merge screen (scoped, picks per field, a preview), the merge's page and its
undo; the admins' lists of possible duplicates."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Contact, ContactChannel, MergeRecord, Organization
from deals.models import Deal
from tests import factories
from tests.directory.test_contact_pages import form_data

ORG_CREATE = reverse("organizations:create")
CONTACT_CREATE = reverse("contacts:create")
ORG_MERGE = reverse("organizations:merge")
CONTACT_MERGE = reverse("contacts:merge")


# --- shown before saving ---------------------------------------------------------------------


def test_a_new_organization_like_an_existing_one_shows_it_before_saving(client, rep):
    existing = factories.OrganizationFactory(name="Müller GmbH", owner=rep)
    client.force_login(rep)
    response = client.post(ORG_CREATE, {"name": "Mueller", "country": "DE"})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="duplicate-notice"' in html and "similar name" in html
    assert reverse("organizations:detail", args=[existing.pk]) in html
    assert 'value="Mueller"' in html  # the form as typed
    assert Organization.objects.count() == 1


def test_create_anyway_saves_the_organization(client, rep):
    factories.OrganizationFactory(name="Müller GmbH", owner=rep)
    client.force_login(rep)
    response = client.post(ORG_CREATE, {"name": "Mueller", "country": "DE", "create_anyway": "1"})
    assert response.status_code == 302
    assert Organization.objects.filter(name="Mueller").exists()


def test_an_organization_with_the_same_vat_id_outside_the_scope_is_mentioned_without_details(client, rep, outsider):
    factories.OrganizationFactory(name="Secret Corp", vat_id="DE123456789", owner=outsider)
    client.force_login(rep)
    response = client.post(ORG_CREATE, {"name": "Something else", "vat_id": "DE 123456789", "country": "DE"})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="duplicate-hidden"' in html and "Secret Corp" not in html


def test_an_organization_with_nothing_alike_is_saved_at_once(client, rep):
    factories.OrganizationFactory(name="Müller GmbH", owner=rep)
    client.force_login(rep)
    assert client.post(ORG_CREATE, {"name": "Schulz AG", "country": "DE"}).status_code == 302


def test_a_new_contact_with_a_known_further_address_shows_the_contact(client, rep):
    existing = factories.ContactFactory(owner=rep, email="ann@acme.example")
    ContactChannel.objects.create(contact=existing, kind="phone", value="+49301234567")
    client.force_login(rep)
    data = form_data(last_name="Lee", email="new@acme.example", channels=[("phone", "mobile", "030 1234567")])
    response = client.post(CONTACT_CREATE, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert reverse("contacts:detail", args=[existing.pk]) in html and "same phone number" in html
    assert Contact.objects.count() == 1
    response = client.post(CONTACT_CREATE, data | {"create_anyway": "1"})
    assert response.status_code == 302
    assert Contact.objects.filter(last_name="Lee").exists()


def test_a_new_contact_with_the_same_e_mail_in_other_case_shows_the_contact(client, rep):
    existing = factories.ContactFactory(owner=rep, email="Ann@Acme.example")
    client.force_login(rep)
    response = client.post(CONTACT_CREATE, form_data(last_name="Lee", email="ann@acme.EXAMPLE"))
    assert response.status_code == 409
    assert f'data-duplicate-id="{existing.pk}"' in response.content.decode()


# --- the merge screen --------------------------------------------------------------------------


@pytest.fixture
def pair(rep, stages):
    keep = factories.OrganizationFactory(name="Müller GmbH", owner=rep, city="")
    away = factories.OrganizationFactory(name="Mueller", owner=rep, city="Berlin")
    deal = factories.DealFactory(owner=rep, organization=away, stage=stages[0])
    return keep, away, deal


def test_the_merge_screen_offers_a_pick_where_the_records_differ_and_previews_what_moves(client, rep, pair):
    keep, away, _deal = pair
    client.force_login(rep)
    response = client.get(ORG_MERGE, {"ids": [keep.pk, away.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="merge-pick-city"' in html and 'data-testid="merge-pick-name"' in html
    assert 'data-testid="merge-pick-region"' not in html  # the same on both
    preview = html.split('data-testid="merge-preview"')[1].split("</tr>")[0]
    assert "1 deals" in preview


def test_merging_moves_the_deals_and_shows_the_merge(client, rep, pair):
    keep, away, deal = pair
    client.force_login(rep)
    data = {"ids": [keep.pk, away.pk], "survivor": keep.pk, "pick_name": keep.pk, "pick_city": away.pk}
    response = client.post(ORG_MERGE, data)
    merge = MergeRecord.objects.get()
    assert response.url == reverse("merges:detail", args=[merge.pk])
    assert Deal.objects.get(pk=deal.pk).organization_id == keep.pk
    keep.refresh_from_db()
    assert keep.city == "Berlin"
    page = client.get(response.url).content.decode()
    assert "Berlin" in page.split('data-testid="merge-changes"')[1]
    assert "1 deals" in page.split('data-testid="merge-moved"')[1].split("</ul>")[0]


def test_the_undo_button_puts_everything_back(client, rep, pair):
    keep, away, deal = pair
    client.force_login(rep)
    client.post(ORG_MERGE, {"ids": [keep.pk, away.pk], "survivor": keep.pk, "pick_name": away.pk, "pick_city": away.pk})
    merge = MergeRecord.objects.get()
    response = client.post(reverse("merges:undo", args=[merge.pk]))
    assert response.url == reverse("organizations:detail", args=[keep.pk])
    keep.refresh_from_db()
    assert (keep.name, keep.city) == ("Müller GmbH", "")
    assert Deal.objects.get(pk=deal.pk).organization_id == away.pk
    again = client.post(reverse("merges:undo", args=[merge.pk]))
    assert again.status_code == 400 and "undone already" in again.content.decode()


def test_a_pick_of_a_record_outside_the_merge_answers_400_and_changes_nothing(client, rep, pair):
    keep, away, deal = pair
    stranger = factories.OrganizationFactory(owner=rep)
    client.force_login(rep)
    data = {"ids": [keep.pk, away.pk], "survivor": keep.pk, "pick_name": keep.pk, "pick_city": stranger.pk}
    response = client.post(ORG_MERGE, data)
    assert response.status_code == 400
    assert Deal.objects.get(pk=deal.pk).organization_id == away.pk
    assert not MergeRecord.objects.exists()


def test_fewer_than_two_records_answer_400(client, rep, pair):
    client.force_login(rep)
    assert client.get(ORG_MERGE, {"ids": [pair[0].pk, "x", pair[0].pk]}).status_code == 400


def test_a_record_out_of_scope_is_not_found_and_a_teammates_is_forbidden(client, rep, teammate, outsider, pair):
    keep = pair[0]
    hidden = factories.OrganizationFactory(name="Müller", owner=outsider)
    theirs = factories.OrganizationFactory(name="Müller", owner=teammate)
    client.force_login(rep)
    assert client.get(ORG_MERGE, {"ids": [keep.pk, hidden.pk]}).status_code == 404
    assert client.post(ORG_MERGE, {"ids": [keep.pk, hidden.pk], "survivor": keep.pk}).status_code == 404
    assert client.get(ORG_MERGE, {"ids": [keep.pk, theirs.pk]}).status_code == 403
    assert Organization.objects.filter(pk__in=[hidden.pk, theirs.pk]).count() == 2


def test_two_contacts_merge_with_their_addresses(client, rep):
    keep = factories.ContactFactory(owner=rep, email="ann@acme.example", last_name="Lee")
    away = factories.ContactFactory(owner=rep, email="ann.lee@home.example", last_name="Lee")
    client.force_login(rep)
    ids = [keep.pk, away.pk]
    assert client.get(CONTACT_MERGE, {"ids": ids}).status_code == 200
    response = client.post(CONTACT_MERGE, {"ids": ids, "survivor": away.pk, "pick_email": away.pk} | _same(keep, away))
    assert response.status_code == 302
    away.refresh_from_db()
    assert away.email == "ann.lee@home.example"
    assert list(away.channels.values_list("value", flat=True)) == ["ann@acme.example"]
    assert not Contact.objects.filter(pk=keep.pk).exists()


def _same(keep, away):
    """Picks of the survivor for the fields the factory filled differently."""
    return {f"pick_{name}": away.pk for name in ("first_name", "organization")}


def test_the_merge_page_of_someone_elses_merge_is_not_found_outside_the_scope(client, rep, outsider, pair):
    keep, away, _deal = pair
    client.force_login(rep)
    client.post(ORG_MERGE, {"ids": [keep.pk, away.pk], "survivor": keep.pk, "pick_name": keep.pk, "pick_city": keep.pk})
    merge = MergeRecord.objects.get()
    client.force_login(outsider)
    assert client.get(reverse("merges:detail", args=[merge.pk])).status_code == 404
    assert client.post(reverse("merges:undo", args=[merge.pk])).status_code == 404


# --- the admins' lists -------------------------------------------------------------------------


def test_the_admin_sees_groups_of_possible_duplicate_organizations(client, admin):
    a = factories.OrganizationFactory(name="Müller GmbH")
    b = factories.OrganizationFactory(name="mueller")
    factories.OrganizationFactory(name="Schulz AG")
    client.force_login(admin)
    response = client.get(reverse("organizations:duplicates"))
    assert response.status_code == 200
    groups = response.content.decode().split('data-testid="duplicate-group"')[1:]
    assert len(groups) == 1
    assert f'value="{a.pk}"' in groups[0] and f'value="{b.pk}"' in groups[0]
    assert reverse("organizations:merge") in groups[0]


def test_organizations_group_by_domain_and_vat_id_too(client, admin):
    factories.OrganizationFactory(name="One", email_domain="acme.example")
    factories.OrganizationFactory(name="Two", email_domain="", website="https://www.acme.example")
    factories.OrganizationFactory(name="Three", vat_id="DE1")
    factories.OrganizationFactory(name="Four", vat_id="DE1")
    client.force_login(admin)
    by_domain = client.get(reverse("organizations:duplicates"), {"by": "domain"}).content.decode()
    assert by_domain.count('data-testid="duplicate-group"') == 1 and "acme.example" in by_domain
    by_vat = client.get(reverse("organizations:duplicates"), {"by": "vat"}).content.decode()
    assert by_vat.count('data-testid="duplicate-group"') == 1 and "DE1" in by_vat


def test_contacts_group_by_e_mail_and_phone(client, admin):
    factories.ContactFactory(email="Ann@acme.example")
    factories.ContactFactory(email="ann@ACME.example")
    factories.ContactFactory(email="", phone="+49301234567")
    factories.ContactFactory(email="", phone="+49301234567")
    client.force_login(admin)
    by_email = client.get(reverse("contacts:duplicates")).content.decode()
    assert by_email.count('data-testid="duplicate-group"') == 1
    by_phone = client.get(reverse("contacts:duplicates"), {"by": "phone"}).content.decode()
    assert by_phone.count('data-testid="duplicate-group"') == 1


def test_the_lists_are_for_admins_only(client, manager):
    client.force_login(manager)
    assert client.get(reverse("organizations:duplicates")).status_code == 403
    assert client.get(reverse("contacts:duplicates")).status_code == 403


@pytest.mark.parametrize("name", ["organizations:duplicates", "contacts:duplicates"])
def test_a_duplicates_list_costs_the_same_queries_at_two_sizes(client, admin, name):
    client.force_login(admin)

    def grow(n):
        for i in range(n):
            organization = factories.OrganizationFactory(name=f"Twin {i} GmbH")
            factories.OrganizationFactory(name=f"twin {i}")
            factories.ContactFactory(organization=organization, email=f"twin{i}@acme.example")
            factories.ContactFactory(organization=organization, email=f"TWIN{i}@acme.example")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        return len(queries)

    grow(2)
    small = count()
    grow(40)
    # the user (the session is cached), COUNT of the groups, the page of groups, their records
    assert count() == small == 4


def test_the_merge_shows_in_the_timeline_of_the_record_kept(client, rep, pair):
    keep, away, _deal = pair
    client.force_login(rep)
    client.post(ORG_MERGE, {"ids": [keep.pk, away.pk], "survivor": keep.pk})
    html = client.get(reverse("organizations:detail", args=[keep.pk])).content.decode()
    assert "Merged with" in html and f"Mueller (#{away.pk})" in html


def test_the_360_page_names_possible_duplicates_with_a_merge_link(client, rep, pair):
    keep, away, _deal = pair
    client.force_login(rep)
    html = client.get(reverse("organizations:detail", args=[keep.pk])).content.decode()
    notice = html.split('data-testid="possible-duplicates-of-record"')[1].split("</section>")[0]
    assert f'data-duplicate-id="{away.pk}"' in notice
    assert f"{ORG_MERGE}?ids={keep.pk}&amp;ids={away.pk}" in notice


def test_the_contact_page_names_a_contact_with_the_same_further_address(client, rep):
    contact = factories.ContactFactory(owner=rep, email="ann@acme.example")
    twin = factories.ContactFactory(owner=rep, email="other@acme.example")
    ContactChannel.objects.create(contact=twin, kind="email", value="ANN@acme.example")
    client.force_login(rep)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert f'data-duplicate-id="{twin.pk}"' in html


def test_the_record_kept_links_its_recent_merge_until_it_is_undone(client, rep, pair):
    keep, away, _deal = pair
    client.force_login(rep)
    client.post(ORG_MERGE, {"ids": [keep.pk, away.pk], "survivor": keep.pk})
    merge = MergeRecord.objects.get()
    page = reverse("organizations:detail", args=[keep.pk])
    recent = client.get(page).content.decode().split('data-testid="recent-merges"')[1].split("</section>")[0]
    assert reverse("merges:detail", args=[merge.pk]) in recent and "1 record merged into this one" in recent
    client.post(reverse("merges:undo", args=[merge.pk]))
    assert 'data-testid="recent-merges"' not in client.get(page).content.decode()
