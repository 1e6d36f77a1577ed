"""Double opt-in: the web form's newsletter box, the confirmation e-mail (transactional, through
the outbox, in the person's language), the confirmation page and its proof, expiry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import OutgoingEmail
from customers import services as customer_services
from customers.models import Consent, ConsentChange
from leads import services as lead_services
from leads.models import Lead, LeadConsentChange
from nurturing import consent, optin
from nurturing.models import ConsentConfirmation, Suppression
from tests import factories


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    # The outbox is delivered by a worker; here the queued row is what counts.
    from activities import tasks

    monkeypatch.setattr(tasks.deliver_outgoing_email, "delay", lambda *a, **k: None)


@pytest.fixture
def base_url(settings):
    settings.CRM_BASE_URL = "https://crm.example.com"


def _submit(client, **extra):
    data = {"first_name": "Lena", "last_name": "Lang", "email": "Lena@Example.com", "consent": "on", **extra}
    return client.post(reverse("leads:webform"), data)


def test_a_ticked_newsletter_box_makes_the_lead_pending_never_granted(db, client, rep, base_url):
    factories.UserFactory(role="admin")
    assert _submit(client, newsletter="on").status_code == 302
    lead = Lead.objects.get()
    assert lead.email_consent == Consent.PENDING
    change = LeadConsentChange.objects.get(lead=lead)
    assert change.status == Consent.PENDING and change.source == "web form" and change.actor is None
    assert "news and offers by e-mail" in change.proof and str(change.at.year) in change.proof


def test_without_the_newsletter_box_the_consent_stays_unknown(db, client):
    _submit(client)
    lead = Lead.objects.get()
    assert lead.consent is True  # to be contacted about the enquiry: not marketing
    assert lead.email_consent == Consent.UNKNOWN and not LeadConsentChange.objects.exists()


def test_a_repeat_submission_with_the_box_asks_for_the_opt_in(db, rep):
    lead = factories.LeadFactory(owner=rep, email="lena@example.com")
    lead_services.lead_touch_record(
        lead_id=lead.pk, source=Lead.Source.WEB_FORM, marketing_consent=True, consent_wording="Yes, news please"
    )
    lead.refresh_from_db()
    assert lead.email_consent == Consent.PENDING
    assert "Yes, news please" in LeadConsentChange.objects.get(lead=lead).proof


def test_a_lead_with_consent_keeps_it_when_the_form_comes_again(db, rep):
    lead = factories.LeadFactory(owner=rep, email="lena@example.com")
    lead_services.lead_consent_set(actor=rep, lead=lead, status=Consent.GRANTED, source="fair")
    lead_services.lead_touch_record(lead_id=lead.pk, source=Lead.Source.WEB_FORM, marketing_consent=True)
    lead.refresh_from_db()
    assert lead.email_consent == Consent.GRANTED


def test_the_sweep_sends_one_confirmation_per_pending_record_through_the_outbox(db, rep, base_url):
    lead = factories.LeadFactory(owner=rep, email="Lena@Example.com")
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form")
    assert optin.confirmations_send_pending() == 1
    assert optin.confirmations_send_pending() == 0  # asked already
    confirmation = ConsentConfirmation.objects.get()
    assert (confirmation.lead, confirmation.address, confirmation.sent_at is not None) == (
        lead,
        "lena@example.com",
        True,
    )
    email = OutgoingEmail.objects.get()
    assert email.key == f"optin:{confirmation.pk}" and email.to == "Lena@Example.com" and email.user == rep
    assert f"https://crm.example.com/e/c/{confirmation.token}/" in email.body
    assert email.subject == "Bitte bestätigen Sie, dass Sie unsere E-Mails erhalten möchten"  # German by default


def test_the_confirmation_is_in_the_contacts_language(db, rep, base_url):
    contact = factories.ContactFactory(owner=rep, language="en-gb")
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.PENDING, source="asked")
    optin.confirmations_send_pending()
    assert OutgoingEmail.objects.get().subject == "Please confirm that you want our e-mails"


def test_becoming_pending_sends_the_confirmation_once_the_change_commits(
    db, rep, base_url, django_capture_on_commit_callbacks
):
    contact = factories.ContactFactory(owner=rep)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.PENDING, source="asked")
    assert ConsentConfirmation.objects.get().contact == contact
    assert OutgoingEmail.objects.count() == 1
    assert optin.confirmations_send_pending() == 0


def test_a_pending_record_asked_again_after_ten_minutes_gets_a_new_e_mail(db, rep, base_url):
    lead = factories.LeadFactory(owner=rep)
    earlier = timezone.now() - timedelta(hours=1)
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form", at=earlier)
    optin.confirmations_send_pending(now=earlier)
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form")
    assert optin.confirmations_send_pending() == 1
    assert OutgoingEmail.objects.count() == 2


def test_no_confirmation_e_mail_to_a_hard_bounced_address(db, rep):
    lead = factories.LeadFactory(owner=rep, email="gone@example.com")
    Suppression.objects.create(address="gone@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form")
    assert optin.confirmations_send_pending() == 1
    assert ConsentConfirmation.objects.get().sent_at is None and not OutgoingEmail.objects.exists()
    assert optin.confirmations_send_pending() == 0


def test_a_rep_cannot_ask_an_unsubscribed_person_again(db, rep):
    contact = factories.ContactFactory(owner=rep, email="eva@example.com")
    consent.suppress(address="eva@example.com", reason="unsubscribed", source="link")
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.PENDING, source="asked")
    optin.confirmations_send_pending()
    assert not OutgoingEmail.objects.exists()


@pytest.fixture
def confirmation(db, rep, base_url):
    lead = factories.LeadFactory(owner=rep, email="lena@example.com")
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form")
    optin.confirmations_send_pending()
    return ConsentConfirmation.objects.get()


def test_opening_the_confirmation_link_changes_nothing(client, confirmation):
    response = client.get(reverse("nurturing:confirm", args=[confirmation.token]))
    assert response.status_code == 200
    assert b"lena@example.com" in response.content and b'data-testid="confirm-button"' in response.content
    confirmation.refresh_from_db()
    assert confirmation.confirmed_at is None
    assert Lead.objects.get().email_consent == Consent.PENDING


def test_confirming_grants_the_consent_with_the_proof(client, confirmation):
    response = client.post(
        reverse("nurturing:confirm", args=[confirmation.token]),
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200 and b'data-testid="confirm-state"' in response.content
    confirmation.refresh_from_db()
    assert (confirmation.confirmed_ip, confirmation.confirmed_user_agent) == ("198.51.100.7", "Firefox/140")
    lead = Lead.objects.get()
    assert lead.email_consent == Consent.GRANTED
    change = LeadConsentChange.objects.filter(lead=lead).first()
    assert change.proof.startswith("double opt-in: confirmation sent ")
    assert "to lena@example.com, confirmed " in change.proof and "from 198.51.100.7 (Firefox/140)" in change.proof
    assert consent.marketing_refusal(address=lead.email, lead=lead) == ""


def test_confirming_twice_records_it_once(client, confirmation):
    url = reverse("nurturing:confirm", args=[confirmation.token])
    client.post(url)
    client.post(url)
    assert LeadConsentChange.objects.filter(status=Consent.GRANTED).count() == 1


def test_a_confirmation_lifts_an_unsubscribe_of_the_address(client, confirmation):
    Suppression.objects.create(address="lena@example.com", reason=Suppression.Reason.UNSUBSCRIBED)
    client.post(reverse("nurturing:confirm", args=[confirmation.token]))
    assert not Suppression.objects.exists()


def test_a_link_older_than_thirty_days_says_it_expired(client, confirmation):
    ConsentConfirmation.objects.filter(pk=confirmation.pk).update(
        requested_at=timezone.now() - timedelta(days=optin.TOKEN_DAYS, minutes=1)
    )
    url = reverse("nurturing:confirm", args=[confirmation.token])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 410
        assert b"expired" in response.content
        assert reverse("nurturing:preferences", args=[confirmation.token]).encode() in response.content
    assert Lead.objects.get().email_consent == Consent.PENDING


def test_an_unknown_confirmation_link_is_a_404_page(client, db):
    response = client.get(reverse("nurturing:confirm", args=["no-such-token"]))
    assert response.status_code == 404 and b"Link not found" in response.content


def test_the_confirmation_page_speaks_german_by_accept_language(client, confirmation):
    response = client.get(reverse("nurturing:confirm", args=[confirmation.token]), HTTP_ACCEPT_LANGUAGE="de-DE,de")
    assert response["Content-Language"] == "de"
    assert "Bestätigen".encode() in response.content


def test_ask_for_confirmation_on_the_contact_page(client, rep, base_url, django_capture_on_commit_callbacks):
    contact = factories.ContactFactory(owner=rep)
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contacts:consent_ask", args=[contact.pk]))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.email_consent == Consent.PENDING
    assert ConsentChange.objects.get(contact=contact).actor == rep
    assert OutgoingEmail.objects.get().to == contact.email


def test_the_beat_task_queues_and_delivers_the_confirmation(db, rep, base_url, mailoutbox):
    from nurturing import tasks
    from pipeline_crm.beat import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["nurturing-send-confirmations"]
    assert (entry["task"], entry["schedule"]) == ("nurturing.send_confirmations", 60.0)
    lead = factories.LeadFactory(owner=rep, email="lena@example.com")
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form")
    assert tasks.send_confirmations.run() == {"queued": 1, "sent": 1}
    assert [m.to for m in mailoutbox] == [["lena@example.com"]]
    assert tasks.send_confirmations.run() == {"queued": 0, "sent": 0}
