"""Writes of organizations and contacts: owners, moves between organizations, consent history,
further addresses, the trash (never orphaning deals or leads) and the restore."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import LogEntry
from customers import phones, services
from customers.models import Consent, Contact, ContactChannel, ContactMove, Organization
from tests import factories


@pytest.fixture
def organization(rep):
    return services.organization_create(actor=rep, name="Bäckerei Müller GmbH", city="München", country="DE")


def test_a_new_organization_belongs_to_its_creator_and_is_audited(rep, organization):
    assert organization.owner == rep
    assert LogEntry.objects.get_for_object(organization).filter(action=LogEntry.Action.CREATE).exists()


def test_a_rep_may_not_hand_an_organization_to_someone_else(rep, teammate, organization):
    with pytest.raises(PermissionDenied):
        services.organization_update(actor=rep, organization=organization, owner=teammate)
    organization.refresh_from_db()
    assert organization.owner == rep


def test_a_manager_hands_an_organization_within_the_team(manager, rep, teammate, organization):
    services.organization_update(actor=manager, organization=organization, owner=teammate)
    organization.refresh_from_db()
    assert organization.owner == teammate


def test_a_contact_that_changes_organization_keeps_where_it_was(rep, organization):
    contact = services.contact_create(actor=rep, last_name="Huber", organization=organization)
    other = services.organization_create(actor=rep, name="Huber Logistik")
    services.contact_update(actor=rep, contact=contact, organization=other)
    move = ContactMove.objects.get(contact=contact)
    assert (move.from_organization, move.to_organization, move.actor) == (organization, other, rep)
    services.contact_update(actor=rep, contact=contact, job_title="CFO")
    assert ContactMove.objects.filter(contact=contact).count() == 1


def test_consent_is_recorded_with_its_source_as_history(rep, organization):
    contact = services.contact_create(actor=rep, last_name="Huber", organization=organization)
    services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="Signed form at the fair")
    services.contact_consent_set(actor=rep, contact=contact, status=Consent.WITHDRAWN, source="Phone call")
    contact.refresh_from_db()
    assert contact.email_consent == Consent.WITHDRAWN
    assert [c.status for c in contact.consent_changes.all()] == [Consent.WITHDRAWN, Consent.GRANTED]
    with pytest.raises(ValidationError):
        services.contact_consent_set(actor=rep, contact=contact, status=Consent.GRANTED, source="  ")


def test_further_addresses_replace_the_old_ones_without_repeating_the_main_ones(rep, organization):
    contact = services.contact_create(
        actor=rep, last_name="Huber", email="huber@example.com", phone="+49301234567", organization=organization
    )
    services.contact_channels_set(
        contact=contact,
        channels=[
            (ContactChannel.Kind.EMAIL, "private", "Huber@Example.com"),
            (ContactChannel.Kind.EMAIL, "private", "anna@huber.de"),
            (ContactChannel.Kind.EMAIL, "other", "ANNA@huber.de"),
            (ContactChannel.Kind.PHONE, "mobile", "+491511234567"),
        ],
    )
    assert sorted(contact.channels.values_list("kind", "value")) == [
        ("email", "anna@huber.de"),
        ("phone", "+491511234567"),
    ]


def test_phone_numbers_are_stored_international_and_shown_national(settings):
    settings.LEADS_PHONE_REGION = "DE"
    assert phones.normalise("030 1234567") == "+49301234567"
    assert phones.national("+49301234567") == "030 1234567"
    assert phones.national("+43 1 5123456") == "+43 1 5123456"
    with pytest.raises(ValidationError):
        phones.normalise("12")


def test_an_organization_with_deals_or_leads_is_not_deleted(admin, organization, pipeline):
    deal = factories.DealFactory(organization=organization, stage=pipeline.stages.first(), owner=admin)
    with pytest.raises(ValidationError, match="1 deal and 0 leads"):
        services.organization_delete(actor=admin, organization=organization)
    deal.delete()
    factories.LeadFactory(organization=organization)
    with pytest.raises(ValidationError, match="0 deals and 1 lead"):
        services.organization_delete(actor=admin, organization=organization)
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_a_contact_on_a_deal_keeps_its_organization_out_of_the_trash(admin, organization, pipeline):
    contact = services.contact_create(actor=admin, last_name="Huber", organization=organization)
    factories.DealFactory(organization=None, contact=contact, stage=pipeline.stages.first(), owner=admin)
    with pytest.raises(ValidationError, match="Huber"):
        services.organization_delete(actor=admin, organization=organization)


def test_deleting_puts_the_organization_and_its_contacts_in_the_trash_and_restore_brings_them_back(rep, organization):
    contact = services.contact_create(actor=rep, last_name="Huber", organization=organization)
    earlier = services.contact_create(actor=rep, last_name="Alt", organization=organization)
    services.contact_delete(actor=rep, contact=earlier)
    services.organization_delete(actor=rep, organization=organization)
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Contact.objects.filter(pk__in=[contact.pk, earlier.pk]).exists()
    services.organization_restore(actor=rep, organization=organization)
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert not Contact.objects.filter(pk=earlier.pk).exists()  # deleted on its own, stays in the trash


def test_someone_elses_organization_is_not_deleted_by_a_rep(teammate, organization):
    with pytest.raises(PermissionDenied):
        services.organization_delete(actor=teammate, organization=organization)


def test_after_thirty_days_the_trash_is_purged_and_cannot_be_restored(rep, organization):
    contact = services.contact_create(actor=rep, last_name="Huber", organization=organization)
    services.organization_delete(actor=rep, organization=organization)
    later = timezone.now() + timedelta(days=31)
    Organization.all_objects.filter(pk=organization.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    with pytest.raises(ValidationError, match="can no longer be restored"):
        services.organization_restore(actor=rep, organization=organization)
    assert services.trash_purge(now=later) == (1, 1)
    assert not Organization.all_objects.filter(pk=organization.pk).exists()
    assert not Contact.all_objects.filter(pk=contact.pk).exists()
    assert services.trash_purge(now=later) == (0, 0)


def test_a_deal_still_shows_an_organization_in_the_trash(rep, pipeline):
    organization = services.organization_create(actor=rep, name="Gone GmbH")
    Organization.objects.filter(pk=organization.pk).update(deleted_at=timezone.now())
    deal = factories.DealFactory(organization=organization, stage=pipeline.stages.first(), owner=rep)
    deal = type(deal).objects.get(pk=deal.pk)
    assert deal.organization.name == "Gone GmbH"
