"""Consent of contacts and leads (customers.services.contact_consent_set, leads.services.lead_consent_set)
and the one check every marketing e-mail passes (nurturing.consent.marketing_refusal)."""

import pytest
from django.core.exceptions import ValidationError

from customers import services as customer_services
from customers.models import Consent, ConsentChange
from leads import services as lead_services
from leads.models import LeadConsentChange
from nurturing import consent
from nurturing.models import Suppression
from tests import factories


@pytest.fixture
def contact(rep):
    return factories.ContactFactory(owner=rep, email="Eva.Extern@Example.com")


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner=rep, email="lena@example.com")


def test_recording_a_contacts_consent_keeps_source_proof_and_actor(rep, contact):
    customer_services.contact_consent_set(
        actor=rep, contact=contact, status=Consent.GRANTED, source="signed form", proof="Form scan in the file"
    )
    contact.refresh_from_db()
    change = ConsentChange.objects.get(contact=contact)
    assert (contact.email_consent, contact.email_consent_at) == (Consent.GRANTED, change.at)
    assert (change.source, change.proof, change.actor) == ("signed form", "Form scan in the file", rep)


def test_recording_a_leads_consent_writes_its_history_row(rep, lead):
    lead_services.lead_consent_set(actor=rep, lead=lead, status=Consent.GRANTED, source="trade fair", proof="card")
    lead.refresh_from_db()
    change = LeadConsentChange.objects.get(lead=lead)
    assert (lead.email_consent, lead.email_consent_at) == (Consent.GRANTED, change.at)
    assert (change.source, change.proof, change.actor) == ("trade fair", "card", rep)


@pytest.mark.parametrize("record", ["contact", "lead"])
def test_consent_without_a_source_is_refused(rep, contact, lead, record):
    with pytest.raises(ValidationError) as error:
        if record == "contact":
            customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source=" ")
        else:
            lead_services.lead_consent_set(actor=rep, lead=lead, status=Consent.GRANTED, source="")
    assert "source" in error.value.message_dict
    assert not ConsentChange.objects.exists() and not LeadConsentChange.objects.exists()


@pytest.mark.parametrize("record", ["contact", "lead"])
def test_the_existing_customer_basis_needs_the_date_the_relationship_began(rep, contact, lead, record):
    def record_it(proof):
        if record == "contact":
            return customer_services.contact_consent_set(
                actor=rep, contact=contact, status=Consent.EXISTING, source="customer", proof=proof
            )
        return lead_services.lead_consent_set(
            actor=rep, lead=lead, status=Consent.EXISTING, source="customer", proof=proof
        )

    with pytest.raises(ValidationError) as error:
        record_it("a good customer")
    assert "proof" in error.value.message_dict
    assert record_it("existing customer since 2025-03-01").email_consent == Consent.EXISTING


def test_marketing_may_go_with_granted_consent_or_the_existing_customer_basis(rep, contact, lead):
    assert consent.marketing_refusal(address=contact.email, contact=contact) == "no_consent"
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="form")
    assert consent.marketing_refusal(address=contact.email, contact=contact) == ""
    lead_services.lead_consent_set(
        actor=rep, lead=lead, status=Consent.EXISTING, source="customer", proof="existing customer since 1.3.2025"
    )
    assert consent.marketing_refusal(address=lead.email, lead=lead) == ""


def test_pending_consent_is_not_enough_for_marketing(rep, lead):
    lead_services.lead_consent_set(actor=None, lead=lead, status=Consent.PENDING, source="web form")
    assert consent.marketing_refusal(address=lead.email, lead=lead) == "no_consent"


def test_the_refusal_reads_the_consent_of_now_not_of_the_object_passed_in(rep, contact):
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="form")
    stale = type(contact).objects.get(pk=contact.pk)
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.WITHDRAWN, source="phone call")
    assert stale.email_consent == Consent.GRANTED
    assert consent.marketing_refusal(address=stale.email, contact=stale) == "withdrawn"


def test_a_suppressed_address_gets_no_marketing_whatever_the_record_says(rep, contact):
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="form")
    Suppression.objects.create(address="eva.extern@example.com", reason=Suppression.Reason.MANUAL)
    assert consent.marketing_refusal(address="  EVA.Extern@example.com ", contact=contact) == "suppressed"
    assert consent.marketing_refusal(address="eva.extern@example.com") == "suppressed"


def test_no_address_no_marketing(contact):
    assert consent.marketing_refusal(address="", contact=contact) == "no_address"


def test_the_check_costs_one_query_with_a_record(rep, contact, django_assert_num_queries):
    customer_services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="form")
    with django_assert_num_queries(1):  # the record's consent with EXISTS (the suppression list)
        assert consent.marketing_refusal(address=contact.email, contact=contact) == ""
