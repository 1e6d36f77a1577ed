"""Logging a call, meeting or note right on the organization and contact pages: on one of the
record's open deals or leads the user may change, done now or planned, with htmx or without."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from deals.models import Deal
from leads.models import Lead
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def log(target, **fields):
    data = {"log-kind": "call", "log-subject": "Called about the offer", "log-note": "", "log-when": "done"}
    data["log-target"] = target
    return data | {f"log-{name}": value for name, value in fields.items()}


@pytest.fixture
def acme(rep, stages):
    organization = factories.OrganizationFactory(name="Acme GmbH", owner=rep)
    contact = factories.ContactFactory(last_name="Kunde", organization=organization, owner=rep)
    older = factories.DealFactory(owner=rep, organization=organization, contact=contact, title="Older deal")
    newer = factories.DealFactory(owner=rep, organization=organization, contact=contact, title="Newer deal")
    Deal.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    return {"organization": organization, "contact": contact, "older": older, "newer": newer}


def org_url(acme):
    return reverse("organizations:log_activity", args=[acme["organization"].pk])


def contact_url(acme):
    return reverse("contacts:log_activity", args=[acme["contact"].pk])


def test_a_rep_logs_a_call_done_now_on_the_organization_page_and_it_shows_on_the_deal(client, rep, acme):
    client.force_login(rep)
    response = client.post(org_url(acme), log(f"deal-{acme['older'].pk}", note="Wants a discount"))
    assert response.status_code == 302
    assert response.url == reverse("organizations:detail", args=[acme["organization"].pk])
    activity = Activity.objects.get()
    assert (activity.deal, activity.lead, activity.kind) == (acme["older"], None, "call")
    assert activity.note == "Wants a discount"
    assert activity.done_at is not None and activity.assignee == rep and activity.created_by == rep
    acme["older"].refresh_from_db()
    assert acme["older"].last_activity_at is not None
    page = client.get(reverse("organizations:detail", args=[acme["organization"].pk])).content.decode()
    assert "Called about the offer" in page
    deal_panel = client.get(reverse("activities:deal_panel", args=[acme["older"].pk]), **HTMX).content.decode()
    assert "Called about the offer" in deal_panel


def test_a_meeting_can_be_planned_for_later_on_the_contact_page(client, rep, acme):
    client.force_login(rep)
    due = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = log(f"deal-{acme['newer'].pk}", kind="meeting", when="plan", due_at=due.strftime("%Y-%m-%dT%H:%M"))
    assert client.post(contact_url(acme), data).status_code == 302
    activity = Activity.objects.get()
    assert (activity.kind, activity.done_at, activity.due_at) == ("meeting", None, due)
    html = client.get(reverse("contacts:detail", args=[acme["contact"].pk])).content.decode()
    planned = html.split('data-testid="contact-planned"')[1].split("</ul>")[0]
    assert "Called about the offer" in planned


def test_htmx_gets_the_activities_section_back_with_the_new_activity_and_a_fresh_form(client, rep, acme):
    client.force_login(rep)
    response = client.post(org_url(acme), log(f"deal-{acme['newer'].pk}"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="organization-activities"')
    done = html.split('data-testid="organization-done"')[1].split("</ul>")[0]
    assert "Called about the offer" in done
    assert 'data-testid="organization-log-form"' in html and 'value="Called about the offer"' not in html


def test_the_form_preselects_the_most_recent_open_deal(client, rep, acme):
    client.force_login(rep)
    html = client.get(reverse("organizations:detail", args=[acme["organization"].pk])).content.decode()
    form = html.split('data-testid="organization-log-form"')[1].split("</form>")[0]
    assert f'<option value="deal-{acme["newer"].pk}" selected>' in form
    assert f'<option value="deal-{acme["older"].pk}">' in form


def test_an_activity_can_be_logged_on_an_open_lead_of_the_contact(client, rep, acme):
    lead = factories.LeadFactory(owner=rep, contact=acme["contact"], organization=acme["organization"])
    client.force_login(rep)
    assert client.post(contact_url(acme), log(f"lead-{lead.pk}", kind="email")).status_code == 302
    activity = Activity.objects.get()
    assert (activity.lead, activity.deal, activity.kind) == (lead, None, "email")


def test_a_record_without_open_deals_or_leads_says_so_and_links_to_create_one(client, rep, stages):
    organization = factories.OrganizationFactory(name="Empty AG", owner=rep)
    factories.DealFactory(
        owner=rep, organization=organization, status=Deal.Status.WON, won_at=timezone.now(), stage=stages[-1]
    )
    client.force_login(rep)
    html = client.get(reverse("organizations:detail", args=[organization.pk])).content.decode()
    assert 'data-testid="organization-log-form"' not in html
    assert 'data-testid="organization-log-none"' in html
    assert reverse("leads:create") in html and reverse("deals:board") in html


def test_a_deal_of_another_organization_is_refused_with_a_message_and_the_input_kept(client, rep, acme):
    elsewhere = factories.DealFactory(owner=rep, title="Other company's deal")
    client.force_login(rep)
    response = client.post(org_url(acme), log(f"deal-{elsewhere.pk}", subject="Keep me"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose one of this record" in html and 'value="Keep me"' in html
    assert not Activity.objects.exists()


def test_a_closed_deal_and_a_converted_lead_are_refused(client, rep, acme, stages):
    won = factories.DealFactory(
        owner=rep, organization=acme["organization"], status=Deal.Status.WON, won_at=timezone.now(), stage=stages[-1]
    )
    converted = factories.LeadFactory(
        owner=rep, organization=acme["organization"], status=Lead.Status.CONVERTED, converted_at=timezone.now()
    )
    client.force_login(rep)
    assert client.post(org_url(acme), log(f"deal-{won.pk}")).status_code == 400
    assert client.post(org_url(acme), log(f"lead-{converted.pk}")).status_code == 400
    assert not Activity.objects.exists()


@pytest.mark.parametrize("target", ["", "deal-abc", "deal-", "lead-99999999", "note-1", "x" * 300])
def test_garbage_targets_are_a_400_never_a_500(client, rep, acme, target):
    client.force_login(rep)
    assert client.post(org_url(acme), log(target)).status_code == 400
    assert client.post(org_url(acme), log(target), **HTMX).status_code == 400
    assert not Activity.objects.exists()


def test_missing_subject_and_unknown_kind_re_render_with_messages(client, rep, acme):
    client.force_login(rep)
    response = client.post(org_url(acme), log(f"deal-{acme['newer'].pk}", subject="", kind="séance"), **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="organization-activities"')
    assert html.count('class="errorlist"') >= 2
    assert not Activity.objects.exists()


def test_a_teammate_sees_the_page_without_the_form_and_may_not_log(client, teammate, acme):
    client.force_login(teammate)
    html = client.get(reverse("organizations:detail", args=[acme["organization"].pk])).content.decode()
    assert 'data-testid="organization-log-form"' not in html
    assert client.post(org_url(acme), log(f"deal-{acme['newer'].pk}")).status_code == 400
    assert not Activity.objects.exists()


def test_the_team_manager_logs_on_the_reps_deal(client, manager, rep, acme):
    client.force_login(manager)
    assert client.post(contact_url(acme), log(f"deal-{acme['newer'].pk}")).status_code == 302
    activity = Activity.objects.get()
    assert activity.deal == acme["newer"] and activity.assignee == manager


def test_out_of_scope_records_are_404(client, outsider, manager_south, acme):
    for user in (outsider, manager_south):
        client.force_login(user)
        assert client.post(org_url(acme), log(f"deal-{acme['newer'].pk}")).status_code == 404
        assert client.post(contact_url(acme), log(f"deal-{acme['newer'].pk}")).status_code == 404
    assert not Activity.objects.exists()


def test_a_get_is_not_allowed(client, rep, acme):
    client.force_login(rep)
    assert client.get(org_url(acme)).status_code == 405


def test_the_organization_page_with_the_form_costs_the_same_queries_at_two_sizes(client, rep, stages):
    """Without contacts: the timeline's first page would name a contact's change at the small
    size only (one query per kind of record named). The first request fills the content type
    cache, so it is not counted."""
    organization = factories.OrganizationFactory(name="Growing AG", owner=rep)
    client.force_login(rep)

    def grow(n):
        for i in range(n):
            deal = factories.DealFactory(owner=rep, organization=organization, stage=stages[0])
            factories.ActivityFactory(deal=deal, done_at=timezone.now() if i % 2 else None)
            factories.LeadFactory(owner=rep, organization=organization)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("organizations:detail", args=[organization.pk]))
        assert response.status_code == 200 and b'data-testid="organization-log-form"' in response.content
        return len(queries)

    grow(2)
    count()
    small = count()
    grow(30)
    assert count() == small


def test_the_htmx_answer_costs_the_same_queries_at_two_sizes(client, rep, stages, acme):
    client.force_login(rep)

    def grow(n):
        for _ in range(n):
            deal = factories.DealFactory(owner=rep, organization=acme["organization"], contact=acme["contact"])
            factories.ActivityFactory(deal=deal)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.post(contact_url(acme), log(f"deal-{acme['newer'].pk}"), **HTMX).status_code == 200
        return len(queries)

    grow(2)
    small = count()
    grow(30)
    assert count() == small
