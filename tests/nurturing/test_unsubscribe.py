"""Unsubscribe (RFC 8058 one-click and the page) and the preferences page: no login, GET never
unsubscribes, POST is idempotent and honoured at once; imports never undo it."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.models import OutgoingEmail
from customers import services as customer_services
from customers.models import Consent, Contact
from leads import services as lead_services
from leads.models import Lead
from nurturing import consent
from nurturing.models import ConsentConfirmation, Enrolment, Send, Sequence, Suppression
from tests import factories


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    from activities import tasks

    monkeypatch.setattr(tasks.deliver_outgoing_email, "delay", lambda *a, **k: None)


@pytest.fixture
def contact(rep):
    contact = factories.ContactFactory(owner=rep, email="Eva.Extern@Example.com")
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="signed form")
    return contact


@pytest.fixture
def send(contact):
    return Send.objects.create(contact=contact, address="eva.extern@example.com", domain="example.com")


def _url(send):
    return reverse("nurturing:unsubscribe", args=[send.token])


def test_opening_the_unsubscribe_link_only_shows_a_button(client, send):
    response = client.get(_url(send))
    assert response.status_code == 200 and b'data-testid="unsubscribe-button"' in response.content
    assert b"e*********@example.com" in response.content  # the address, partly masked
    assert not Suppression.objects.exists()
    assert consent.marketing_refusal(address=send.address, contact=send.contact) == ""


def test_the_one_click_post_unsubscribes_without_cookies_or_csrf_token(send, contact, rep):
    sequence = Sequence.objects.create(name="Welcome", owner=rep, status=Sequence.Status.ACTIVE)
    enrolment = Enrolment.objects.create(sequence=sequence, contact=contact, next_position=2)
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(send), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert consent.marketing_refusal(address=send.address, contact=contact) == "suppressed"
    suppression = Suppression.objects.get()
    assert suppression.reason == Suppression.Reason.UNSUBSCRIBED and "one-click" in suppression.source
    contact.refresh_from_db()
    assert contact.email_consent == Consent.WITHDRAWN
    send.refresh_from_db()
    assert send.unsubscribed_at is not None
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.exit_reason) == (Enrolment.Status.EXITED, "unsubscribed")


def test_unsubscribing_twice_answers_the_same_and_records_once(send, contact):
    client = Client(enforce_csrf_checks=True)
    first = client.post(_url(send), {"List-Unsubscribe": "One-Click"})
    stamped = Send.objects.get(pk=send.pk).unsubscribed_at
    second = client.post(_url(send), {"List-Unsubscribe": "One-Click"})
    assert first.status_code == second.status_code == 200
    assert Suppression.objects.count() == 1
    assert contact.consent_changes.filter(status=Consent.WITHDRAWN).count() == 1
    assert Send.objects.get(pk=send.pk).unsubscribed_at == stamped


def test_the_button_on_the_page_unsubscribes_too(client, send):
    response = client.post(_url(send))
    assert response.status_code == 200 and b'data-testid="unsubscribe-state"' in response.content
    assert Suppression.objects.get().source == "unsubscribe page"


def test_an_unknown_unsubscribe_token_is_a_404_page_for_get_and_post(client, db):
    url = reverse("nurturing:unsubscribe", args=["not-a-token"])
    assert client.get(url).status_code == 404
    assert Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404


def test_a_signed_in_user_unsubscribes_the_same_way(client, send, rep):
    client.force_login(rep)
    assert client.post(_url(send), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Suppression.objects.exists()


def test_the_unsubscribe_page_speaks_german_by_accept_language(client, send):
    response = client.get(_url(send), HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "de" and b"Abmelden" in response.content


# --- preferences ----------------------------------------------------------------------------


def _preferences(send):
    return reverse("nurturing:preferences", args=[send.token])


def test_the_preferences_page_shows_the_state_of_the_address(client, send):
    response = client.get(_preferences(send))
    assert response.status_code == 200
    assert b"e*********@example.com" in response.content and b"Eva.Extern" not in response.content
    assert b'data-testid="preferences-unsubscribe"' in response.content
    assert b'data-testid="preferences-subscribe"' not in response.content


def test_unsubscribing_on_the_preferences_page(client, send):
    client.post(_preferences(send), {"action": "unsubscribe"})
    assert consent.marketing_refusal(address=send.address, contact=send.contact) == "suppressed"
    response = client.get(_preferences(send))
    assert b'data-testid="preferences-subscribe"' in response.content


def test_subscribing_again_asks_for_a_new_confirmation_and_keeps_the_block_until_then(client, send, settings):
    settings.CRM_BASE_URL = "https://crm.example.com"
    consent.suppress(address=send.address, reason="unsubscribed", source="link", send=send)
    response = client.post(_preferences(send), {"action": "subscribe"})
    assert response.status_code == 200
    contact = Contact.objects.get(pk=send.contact_id)
    assert contact.email_consent == Consent.PENDING
    confirmation = ConsentConfirmation.objects.get()
    assert OutgoingEmail.objects.get().key == f"optin:{confirmation.pk}"
    assert consent.marketing_refusal(address=send.address, contact=contact) == "suppressed"
    client.post(reverse("nurturing:confirm", args=[confirmation.token]))
    assert consent.marketing_refusal(address=send.address, contact=contact) == ""


def test_subscribing_again_sends_at_most_one_e_mail_in_ten_minutes(client, send):
    consent.suppress(address=send.address, reason="unsubscribed", source="link")
    client.post(_preferences(send), {"action": "subscribe"})
    response = client.post(_preferences(send), {"action": "subscribe"})
    assert response.status_code == 429
    assert OutgoingEmail.objects.count() == 1


def test_a_hard_bounced_address_cannot_subscribe_again_from_the_page(client, send):
    consent.suppress(address=send.address, reason="hard_bounce", source="bounce")
    response = client.post(_preferences(send), {"action": "subscribe"})
    assert response.status_code == 400 and not ConsentConfirmation.objects.exists()


def test_the_preferences_page_takes_a_confirmation_token(client, rep):
    lead = factories.LeadFactory(owner=rep, email="lena@example.com")
    confirmation = ConsentConfirmation.objects.create(lead=lead, address="lena@example.com")
    response = client.get(reverse("nurturing:preferences", args=[confirmation.token]))
    assert response.status_code == 200 and b"l***@example.com" in response.content


def test_the_preferences_form_needs_its_csrf_token(send):
    assert Client(enforce_csrf_checks=True).post(_preferences(send), {"action": "unsubscribe"}).status_code == 403


# --- imports never undo an unsubscribe ------------------------------------------------------


def test_a_contact_import_of_the_same_person_does_not_undo_the_unsubscribe(client, send, contact, rep):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transfer.models import ImportJob

    Client().post(_url(send), {"List-Unsubscribe": "One-Click"})
    client.force_login(rep)
    raw = b"First name,Last name,E-mail\nEva,Extern,EVA.EXTERN@example.com\n"
    client.post("/import/contacts/", {"file": SimpleUploadedFile("again.csv", raw), "encoding": "auto"})
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/check/", {f"col_{i}": target for i, target in enumerate(job.mapping)})
    client.post(f"/imports/{job.pk}/confirm/", {"duplicates_confirmed": "on"})  # yes, the same person again
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.status
    contact.refresh_from_db()
    assert contact.email_consent == Consent.WITHDRAWN
    for record in Contact.objects.filter(email__iexact="eva.extern@example.com"):
        assert consent.marketing_refusal(address=record.email, contact=record) == "suppressed"


def test_a_lead_csv_import_of_the_same_person_does_not_undo_the_unsubscribe(client, rep):
    lead = factories.LeadFactory(owner=rep, email="lena@example.com")
    lead_services.lead_consent_set(actor=rep, lead=lead, status=Consent.GRANTED, source="fair")
    send = Send.objects.create(lead=lead, address="lena@example.com", domain="example.com")
    client.post(_url(send), {"List-Unsubscribe": "One-Click"})
    Lead.objects.filter(pk=lead.pk).update(
        status=Lead.Status.CONVERTED, converted_at=timezone.now()
    )  # a new lead may then be imported
    raw = b"first_name,last_name,email\nLena,Lang,LENA@example.com\n"
    lead_import = lead_services.lead_import_create(actor=rep, raw=raw, file_name="again.csv")
    lead_services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    assert Lead.objects.filter(email__iexact="lena@example.com").count() == 2
    lead.refresh_from_db()
    assert lead.email_consent == Consent.WITHDRAWN
    for record in Lead.objects.filter(email__iexact="lena@example.com"):
        assert consent.marketing_refusal(address=record.email, lead=record) == "suppressed"
