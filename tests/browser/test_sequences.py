"""A manager builds a segment and a three-step sequence (e-mail, wait, e-mail) for it in real
Chromium, with the step builder's htmx partials, activates it, and sees the members enrolled."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from deals import defaults
from deals.models import LostReason, Pipeline, Stage
from mail.models import EmailTemplate
from nurturing.models import Enrolment, Segment, Sequence
from tests import factories


@pytest.fixture
def team(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    manager = factories.UserFactory(username="maria", first_name="Maria", last_name="Miller", role=User.Role.MANAGER)
    north.managers.add(manager)
    return {"rep": rep, "manager": manager}


def test_a_manager_builds_and_activates_a_sequence_for_a_segment(page, live_server, login, team):
    rep = team["rep"]
    north = factories.OrganizationFactory(name="Nordwerk GmbH", region="north", owner=rep)
    south = factories.OrganizationFactory(name="Südhaus AG", region="south", owner=rep)
    factories.ContactFactory(first_name="Nora", last_name="Nordmann", organization=north, owner=rep)
    factories.ContactFactory(first_name="Nils", last_name="Nordberg", organization=north, owner=rep)
    factories.ContactFactory(first_name="Sina", last_name="Südmann", organization=south, owner=rep)
    for name in ("Willkommen", "Erinnerung"):
        EmailTemplate.objects.create(name=name, subject=name, body="Hallo", visibility="everyone")
    login(page, team["manager"])

    # The segment: contacts in the north, from the contact list's own filters.
    page.goto(f"{live_server.url}/sequences/")
    page.get_by_test_id("segments-link").click()
    page.get_by_test_id("new-contact-segment").click()
    page.locator("input[name=name]").fill("Kunden Nord")
    page.locator("select[name=region]").select_option("north")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_test_id("segment-member-count")).to_have_text("2 members")

    # The sequence for it.
    page.get_by_role("link", name="New sequence for this segment").click()
    page.locator("input[name=name]").fill("Begrüßung Nord")
    page.get_by_test_id("sequence-form").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("sequence-status")).to_have_text("draft")

    # Three steps with the builder: e-mail, wait, e-mail.
    def add_step(kind, fill):
        page.get_by_test_id("add-step").click()
        form = page.get_by_test_id("step-form")
        form.locator("select[name=kind]").select_option(kind)
        fill(form)
        form.get_by_test_id("save-step").click()
        expect(page.get_by_test_id("step-form")).to_have_count(0)

    add_step("email", lambda form: form.locator("select[name=template]").select_option(label="Willkommen (German)"))
    expect(page.get_by_test_id("step")).to_have_count(1)

    def wait_three_days(form):
        expect(form.locator("select[name=template]")).to_be_hidden()  # only the wait's fields show
        form.locator("input[name=wait_days]").fill("3")

    add_step("wait", wait_three_days)
    add_step("email", lambda form: form.locator("select[name=template]").select_option(label="Erinnerung (German)"))
    expect(page.get_by_test_id("step")).to_have_count(3)
    expect(page.get_by_test_id("step").nth(1)).to_contain_text("3 days")

    # Activate: the segment's members are enrolled and listed.
    page.get_by_test_id("activate").click()
    expect(page.get_by_test_id("sequence-status")).to_have_text("active")
    enrolled = page.get_by_test_id("enrolment")
    expect(enrolled).to_have_count(2)
    expect(page.get_by_test_id("enrolments")).to_contain_text("Nora Nordmann")
    expect(page.get_by_test_id("enrolments")).not_to_contain_text("Südmann")

    sequence = Sequence.objects.get(name="Begrüßung Nord")
    assert sequence.segment == Segment.objects.get(name="Kunden Nord")
    assert list(sequence.steps.values_list("kind", flat=True)) == ["email", "wait", "email"]
    assert Enrolment.objects.filter(sequence=sequence, status="active").count() == 2
