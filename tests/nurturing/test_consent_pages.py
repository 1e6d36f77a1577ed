"""Consent on the lead and contact pages, and the suppression list in the admin."""

import pytest
from django.urls import reverse

from customers import services as customer_services
from customers.models import Consent
from leads.models import LeadConsentChange
from nurturing.models import ConsentConfirmation, Suppression
from tests import factories


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner=rep, email="lena@example.com")


def test_the_lead_page_shows_the_consent_its_history_and_proof(client, rep, lead):
    from leads import services

    services.lead_consent_set(actor=rep, lead=lead, status=Consent.GRANTED, source="fair", proof="Card no. 17")
    client.force_login(rep)
    html = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert 'data-testid="consent-form"' in html
    assert "Card no. 17" in html and "fair" in html and "granted" in html


def test_recording_a_leads_consent_on_its_page(client, rep, lead):
    client.force_login(rep)
    response = client.post(
        reverse("leads:consent", args=[lead.pk]),
        {"status": "existing", "source": "customer file", "proof": "existing customer since 2025-03-01"},
    )
    assert response.status_code == 302
    change = LeadConsentChange.objects.get()
    assert (change.status, change.actor, change.proof) == ("existing", rep, "existing customer since 2025-03-01")


def test_the_existing_customer_basis_without_a_date_is_refused_on_the_page(client, rep, lead):
    client.force_login(rep)
    response = client.post(
        reverse("leads:consent", args=[lead.pk]), {"status": "existing", "source": "customer file", "proof": ""}
    )
    assert response.status_code == 400
    assert "the customer relationship began" in response.content.decode()
    assert not LeadConsentChange.objects.exists()


def test_a_teammate_sees_the_leads_consent_but_may_not_record_it(client, teammate, lead):
    client.force_login(teammate)
    assert 'data-testid="consent-form"' not in client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert (
        client.post(reverse("leads:consent", args=[lead.pk]), {"status": "granted", "source": "x"}).status_code == 403
    )


def test_the_contact_page_shows_proof_and_offers_ask_for_confirmation(client, rep):
    contact = factories.ContactFactory(owner=rep)
    customer_services.contact_consent_set(
        actor=rep, contact=contact, status=Consent.WITHDRAWN, source="phone", proof="Call of 3 March"
    )
    client.force_login(rep)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert 'data-testid="consent-proof"' in html and "Call of 3 March" in html
    assert 'data-testid="consent-ask"' in html


def test_the_admin_blocks_an_address_by_hand_through_the_service(client, admin, rep):
    contact = factories.ContactFactory(owner=rep, email="Spam.Trap@example.com")
    client.force_login(admin)
    response = client.post(
        reverse("admin:nurturing_suppression_add"), {"address": " SPAM.trap@example.com ", "source": "complaint"}
    )
    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("spam.trap@example.com", Suppression.Reason.MANUAL)
    contact.refresh_from_db()
    assert contact.email_consent == Consent.WITHDRAWN


def test_the_admin_cannot_lift_an_unsubscribe(client, admin):
    unsubscribed = Suppression.objects.create(address="a@example.com", reason=Suppression.Reason.UNSUBSCRIBED)
    client.force_login(admin)
    assert client.get(reverse("admin:nurturing_suppression_delete", args=[unsubscribed.pk])).status_code == 403


def test_the_admin_shows_confirmations_read_only(client, admin, lead):
    confirmation = ConsentConfirmation.objects.create(lead=lead, address=lead.email)
    client.force_login(admin)
    assert client.get(reverse("admin:nurturing_consentconfirmation_change", args=[confirmation.pk])).status_code == 200
    assert client.get(reverse("admin:nurturing_consentconfirmation_add")).status_code == 403
