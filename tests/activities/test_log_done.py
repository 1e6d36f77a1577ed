"""Logging a done call or meeting in one step, with its outcome and an optional next step (the
follow-up, created in the same transaction): from the deal, lead and contact pages."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, Kind
from tests import factories

HTMX = {"HX-Request": "true"}
NEXT_DUE = "2027-02-03T10:30"


def done_data(**fields):
    data = {"done-kind": "call", "done-subject": "Called Acme", "done-outcome": "reached", "done-note": "Budget ok"}
    return data | {f"done-{name}": value for name, value in fields.items()}


def deal_url(deal):
    return reverse("activities:deal_log_done", args=[deal.pk])


def lead_url(lead):
    return reverse("activities:lead_log_done", args=[lead.pk])


def test_log_done_on_a_deal_without_a_next_step(client, rep, deal):
    client.force_login(rep)
    response = client.post(deal_url(deal), done_data(), headers=HTMX)
    assert response.status_code == 200
    activity = Activity.objects.get()
    assert (activity.kind, activity.subject, activity.outcome, activity.note) == (
        "call",
        "Called Acme",
        "reached",
        "Budget ok",
    )
    assert activity.done_at is not None and activity.deal == deal and activity.assignee == rep
    body = response.content.decode()
    assert "Reached, talked" in body and 'data-testid="activity-outcome"' in body
    assert "activities-changed" in response.headers["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.last_activity_at is not None


def test_log_done_on_a_deal_with_a_next_step_creates_the_follow_up(client, rep, deal):
    client.force_login(rep)
    response = client.post(deal_url(deal), done_data(next_subject="Send the offer", next_due_at=NEXT_DUE))
    assert response.status_code == 302 and response.url == reverse("deals:detail", args=[deal.pk])
    done, follow_up = Activity.objects.order_by("pk")
    assert done.done_at is not None
    assert follow_up.subject == "Send the offer" and follow_up.done_at is None and follow_up.kind == Kind.FOLLOW_UP
    assert follow_up.due_at == datetime(2027, 2, 3, 10, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert follow_up.deal == deal and follow_up.assignee == rep


def test_log_done_on_a_lead_with_and_without_a_next_step(client, rep, lead):
    client.force_login(rep)
    assert client.post(lead_url(lead), done_data(kind="meeting", subject=""), headers=HTMX).status_code == 200
    meeting = Activity.objects.get()
    assert meeting.kind == "meeting" and meeting.subject == "Meeting" and meeting.lead == lead
    client.post(lead_url(lead), done_data(next_subject="Call back", next_due_at=NEXT_DUE), headers=HTMX)
    assert Activity.objects.filter(lead=lead, done_at__isnull=True, subject="Call back").exists()
    lead.refresh_from_db()
    assert lead.last_touch_at is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"next_subject": "Send the offer"}, "next_due_at"),
        ({"next_due_at": NEXT_DUE}, "next_subject"),
        ({"kind": "task"}, "kind"),
        ({"outcome": "sold-it"}, "outcome"),
    ],
)
def test_log_done_refuses_bad_input_with_its_message_and_writes_nothing(client, rep, deal, fields, field):
    client.force_login(rep)
    response = client.post(deal_url(deal), done_data(**fields), headers=HTMX)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not Activity.objects.exists()


def test_log_done_writes_both_or_neither(rep, deal):
    with (
        mock.patch.object(services.activity, "activity_create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        services.activity_log_done(
            actor=rep,
            kind="call",
            subject="Called",
            deal=deal,
            next_subject="Next",
            next_due_at=timezone.now() + timedelta(days=1),
        )
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"), [("rep", 302), ("teammate", 403), ("outsider", 404), ("manager", 302), ("admin", 302)]
)
def test_log_done_on_a_deal_per_role(client, request, deal, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.post(deal_url(deal), done_data()).status_code == status
    assert Activity.objects.count() == (1 if status == 302 else 0)


@pytest.mark.parametrize(
    ("role", "status"), [("rep", 302), ("teammate", 403), ("outsider", 404), ("manager", 302), ("admin", 302)]
)
def test_log_done_on_a_lead_per_role(client, request, lead, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.post(lead_url(lead), done_data()).status_code == status


def test_the_panel_offers_the_log_done_form_only_to_who_may_change(client, rep, teammate, deal):
    client.force_login(rep)
    url = reverse("activities:deal_panel", args=[deal.pk])
    assert 'data-testid="log-done-form"' in client.get(url, headers=HTMX).content.decode()
    client.force_login(teammate)
    assert 'data-testid="log-done-form"' not in client.get(url, headers=HTMX).content.decode()


def test_the_outcome_shows_on_the_deal_timeline(client, rep, deal):
    client.force_login(rep)
    client.post(deal_url(deal), done_data(outcome="voicemail"))
    body = client.get(reverse("timeline:deal", args=[deal.pk])).content.decode()
    assert "Left a voicemail" in body


# --- from the contact page (the directory's log form, extended) ----------------------------------


@pytest.fixture
def contact_with_deals(rep, stages):
    organization = factories.OrganizationFactory(name="Acme GmbH", owner=rep)
    contact = factories.ContactFactory(last_name="Kunde", organization=organization, owner=rep)
    deal = factories.DealFactory(owner=rep, organization=organization, contact=contact, title="Acme deal")
    return contact, deal


def contact_log(target, **fields):
    data = {"log-kind": "call", "log-subject": "Called Kunde", "log-when": "done", "log-target": target}
    return data | {f"log-{name}": value for name, value in fields.items()}


def test_contact_page_logs_done_with_outcome_and_next_step(client, rep, contact_with_deals):
    contact, deal = contact_with_deals
    client.force_login(rep)
    url = reverse("contacts:log_activity", args=[contact.pk])
    data = contact_log(f"deal-{deal.pk}", outcome="interested", next_subject="Demo", next_due_at=NEXT_DUE)
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    done, follow_up = Activity.objects.order_by("pk")
    assert done.outcome == "interested" and done.done_at is not None and done.deal == deal
    assert follow_up.subject == "Demo" and follow_up.deal == deal and follow_up.done_at is None
    assert "Interested" in response.content.decode()


def test_contact_page_logs_done_without_a_next_step(client, rep, contact_with_deals):
    contact, deal = contact_with_deals
    client.force_login(rep)
    url = reverse("contacts:log_activity", args=[contact.pk])
    assert client.post(url, contact_log(f"deal-{deal.pk}", outcome="no_answer")).status_code == 302
    assert Activity.objects.get().outcome == "no_answer"


def test_contact_page_refuses_an_outcome_on_a_planned_activity(client, rep, contact_with_deals):
    contact, deal = contact_with_deals
    client.force_login(rep)
    url = reverse("contacts:log_activity", args=[contact.pk])
    data = contact_log(f"deal-{deal.pk}", when="plan", due_at=NEXT_DUE, outcome="reached")
    assert client.post(url, data, headers=HTMX).status_code == 400
    assert not Activity.objects.exists()


def test_contact_page_defaults_to_the_newest_open_deal_and_says_when_there_is_none(client, rep, stages):
    organization = factories.OrganizationFactory(owner=rep)
    contact = factories.ContactFactory(organization=organization, owner=rep)
    client.force_login(rep)
    body = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert 'data-testid="contact-log-none"' in body
