"""The activities panel and the edit form also work as plain pages, without htmx."""

from datetime import timedelta

from django.urls import reverse

from tests import factories


def test_deal_panel_without_htmx_is_a_full_page(client, rep, deal, now):
    factories.ActivityFactory(deal=deal, subject="Call the buyer", due_at=now + timedelta(days=1))
    client.force_login(rep)
    page = client.get(reverse("activities:deal_panel", args=[deal.pk])).content.decode()
    assert "<html" in page and "Call the buyer" in page
    assert 'action="/activities/deal/' in page  # the plan form posts without JavaScript
    assert reverse("deals:detail", args=[deal.pk]) in page  # a way back


def test_lead_panel_without_htmx_is_a_full_page(client, rep, lead):
    client.force_login(rep)
    page = client.get(reverse("activities:lead_panel", args=[lead.pk])).content.decode()
    assert "<html" in page and reverse("leads:detail", args=[lead.pk]) in page


def test_edit_form_without_htmx_is_a_full_page_and_saving_returns_to_the_deal(client, rep, deal, now):
    activity = factories.ActivityFactory(deal=deal, subject="Old subject", due_at=now + timedelta(days=1))
    client.force_login(rep)
    url = reverse("activities:edit", args=[activity.pk])
    page = client.get(url).content.decode()
    assert "<html" in page and 'value="Old subject"' in page
    due = (now + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {"kind": "call", "subject": "New subject", "due_at": due, "assignee": rep.pk, "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])
    activity.refresh_from_db()
    assert activity.subject == "New subject"


def test_cancel_without_htmx_goes_back_to_the_deal(client, rep, deal):
    activity = factories.ActivityFactory(deal=deal)
    client.force_login(rep)
    response = client.get(reverse("activities:item", args=[activity.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])
