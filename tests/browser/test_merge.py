"""Merging two duplicate contacts in real Chromium: the admin finds them on the possible
duplicates list, opens the merge screen, keeps one record with the other's job title, merges,
sees what moved, and the deal of the merged-away contact is now the kept contact's."""

import pytest
from playwright.sync_api import expect

from customers.models import Contact
from deals import defaults
from deals.models import Deal, LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def twins(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    admin = factories.UserFactory(username="ada", first_name="Ada", last_name="Admin", role="admin")
    organization = factories.OrganizationFactory(name="Acme GmbH")
    keep = factories.ContactFactory(
        organization=organization, first_name="Ann", last_name="Lee", email="ann.lee@acme.example", job_title=""
    )
    away = factories.ContactFactory(
        organization=organization, first_name="Ann", last_name="Lee", email="Ann.Lee@ACME.example", job_title="CFO"
    )
    deal = factories.DealFactory(
        owner=admin, organization=organization, contact=away, stage=factories.default_stages()[0], title="Acme rollout"
    )
    return admin, keep, away, deal


def test_an_admin_merges_two_duplicate_contacts(page, live_server, login, twins):
    admin, keep, away, deal = twins
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, admin)
    page.goto(f"{live_server.url}/contacts/")
    page.get_by_test_id("possible-duplicates").click()
    groups = page.get_by_test_id("duplicate-group")
    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("ann.lee@acme.example")
    groups.first.get_by_test_id("merge-group").click()

    expect(page.get_by_test_id("merge-form")).to_be_visible()
    page.get_by_test_id("merge-pick-job_title").get_by_label("CFO").check()
    page.get_by_test_id("merge-submit").click()

    expect(page.get_by_test_id("merge-title")).to_contain_text("Merged into Ann Lee")
    expect(page.get_by_test_id("merge-moved")).to_contain_text("1 deals")
    expect(page.get_by_test_id("merge-undo")).to_be_visible()
    page.get_by_test_id("survivor-link").click()
    expect(page.get_by_test_id("contact-facts")).to_contain_text("CFO")

    assert Deal.objects.get(pk=deal.pk).contact_id == keep.pk
    assert not Contact.objects.filter(pk=away.pk).exists()
    assert Contact.all_objects.get(pk=away.pk).deleted_at is not None
    assert not [e for e in errors if "Content Security Policy" in e], errors
