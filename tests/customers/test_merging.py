"""Merging duplicate organizations and contacts: every relation moves to the record kept, in one
transaction, audited on both sides; the merged-away records go to the trash; the merge can be
undone for 30 days; picks from outside the merge and records out of reach are refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from activities.models import Activity
from audit.models import LogEntry
from customers import merging, services
from customers.models import Consent, ConsentChange, Contact, ContactChannel, ContactMove, MergeRecord, Organization
from deals.models import Deal
from leads.models import Lead
from tests import factories


@pytest.fixture
def orgs(rep, stages):
    """Two organizations of the rep that are the same company, each with a contact, a deal with
    an activity, a lead, and a contact that moved away from the second one."""
    keep = factories.OrganizationFactory(name="Müller GmbH", owner=rep, city="", industry="software")
    away = factories.OrganizationFactory(name="Mueller", owner=rep, city="Berlin", industry="retail")
    world = {"keep": keep, "away": away}
    world["keep_contact"] = factories.ContactFactory(organization=keep, owner=rep)
    world["away_contact"] = factories.ContactFactory(organization=away, owner=rep)
    world["deal"] = factories.DealFactory(organization=away, owner=rep, stage=stages[0])
    world["activity"] = factories.ActivityFactory(deal=world["deal"])
    world["lead"] = factories.LeadFactory(organization=away, owner=rep)
    mover = factories.ContactFactory(organization=keep, owner=rep)
    world["move"] = ContactMove.objects.create(contact=mover, from_organization=away, to_organization=keep)
    return world


def test_an_organization_merge_moves_every_relation_to_the_record_kept(rep, orgs):
    merge = merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])
    keep = orgs["keep"]
    assert Deal.objects.get(pk=orgs["deal"].pk).organization == keep
    assert Lead.objects.get(pk=orgs["lead"].pk).organization == keep
    assert Contact.objects.get(pk=orgs["away_contact"].pk).organization == keep
    assert ContactMove.objects.get(pk=orgs["move"].pk).from_organization == keep
    assert Activity.objects.get(pk=orgs["activity"].pk).deal.organization == keep  # activities go with their deal
    assert merge.summary == {"customers.Contact": 1, "customers.ContactMove": 1, "deals.Deal": 1, "leads.Lead": 1}


def test_the_merged_away_record_goes_to_the_trash(rep, orgs):
    merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])
    away = Organization.all_objects.get(pk=orgs["away"].pk)
    assert away.deleted_at is not None and away.deleted_by == rep
    assert not Organization.objects.filter(pk=away.pk).exists()


def test_picked_values_come_from_the_record_picked(rep, orgs):
    keep, away = orgs["keep"], orgs["away"]
    merging.records_merge(actor=rep, survivor=keep, others=[away], picks={"city": away.pk, "name": keep.pk})
    keep.refresh_from_db()
    assert (keep.name, keep.city, keep.industry) == ("Müller GmbH", "Berlin", "software")


def test_the_merge_is_audited_on_both_records_and_on_what_moved(rep, orgs):
    merge = merging.records_merge(
        actor=rep, survivor=orgs["keep"], others=[orgs["away"]], picks={"city": orgs["away"].pk}
    )
    kept = LogEntry.objects.get_for_object(orgs["keep"])
    assert kept.filter(changes__has_key="merged_from", additional_data__merge=merge.pk).exists()
    assert kept.filter(changes__has_key="city").exists()
    away = LogEntry.objects.get_for_object(Organization.all_objects.get(pk=orgs["away"].pk))
    assert away.filter(changes__has_key="merged_into", additional_data__merge=merge.pk).exists()
    assert LogEntry.objects.get_for_object(orgs["deal"]).filter(changes__has_key="organization").exists()


def test_undo_moves_everything_back_and_restores_the_records(rep, orgs):
    keep, away = orgs["keep"], orgs["away"]
    merge = merging.records_merge(actor=rep, survivor=keep, others=[away], picks={"city": away.pk})
    merging.merge_undo(actor=rep, merge=merge)
    keep.refresh_from_db()
    assert keep.city == ""
    assert Organization.objects.filter(pk=away.pk).exists()
    assert Deal.objects.get(pk=orgs["deal"].pk).organization == away
    assert Lead.objects.get(pk=orgs["lead"].pk).organization == away
    assert Contact.objects.get(pk=orgs["away_contact"].pk).organization == away
    assert Contact.objects.get(pk=orgs["keep_contact"].pk).organization == keep
    assert ContactMove.objects.get(pk=orgs["move"].pk).from_organization == away
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == rep
    assert LogEntry.objects.get_for_object(keep).filter(changes__has_key="merge_undone").exists()


def test_undo_is_refused_twice_and_after_thirty_days(rep, orgs):
    merge = merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])
    MergeRecord.objects.filter(pk=merge.pk).update(at=timezone.now() - timedelta(days=31))
    with pytest.raises(ValidationError, match="30 days"):
        merging.merge_undo(actor=rep, merge=merge)
    MergeRecord.objects.filter(pk=merge.pk).update(at=timezone.now())
    merging.merge_undo(actor=rep, merge=merge)
    with pytest.raises(ValidationError, match="undone already"):
        merging.merge_undo(actor=rep, merge=merge)


def test_undo_is_refused_when_a_merged_away_record_was_restored_meanwhile(rep, orgs):
    merge = merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])
    services.organization_restore(actor=rep, organization=orgs["away"])
    with pytest.raises(ValidationError, match="no longer in the trash"):
        merging.merge_undo(actor=rep, merge=merge)


def test_a_pick_from_outside_the_merge_is_refused_and_nothing_changes(rep, orgs):
    stranger = factories.OrganizationFactory(owner=rep, city="Hamburg")
    with pytest.raises(ValidationError, match="must come from one of the merged records"):
        merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]], picks={"city": stranger.pk})
    assert Deal.objects.get(pk=orgs["deal"].pk).organization == orgs["away"]
    assert not MergeRecord.objects.exists()


def test_a_field_that_cannot_be_picked_is_refused(rep, orgs):
    with pytest.raises(ValidationError, match="cannot be picked"):
        merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]], picks={"deleted_at": 1})


def test_a_record_merged_meanwhile_is_refused(rep, orgs):
    merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])
    with pytest.raises(ValidationError, match="meanwhile"):
        merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])


def test_a_record_cannot_be_merged_with_itself(rep, orgs):
    with pytest.raises(ValidationError, match="at least two"):
        merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["keep"]])


def test_a_rep_may_not_merge_a_teammates_record(rep, teammate, orgs):
    theirs = factories.OrganizationFactory(name="Müller", owner=teammate)
    with pytest.raises(PermissionDenied):
        merging.records_merge(actor=rep, survivor=orgs["keep"], others=[theirs])
    assert Organization.objects.filter(pk=theirs.pk).exists()


def test_a_rep_may_not_take_over_another_owner_by_the_pick(manager, rep, teammate, orgs):
    theirs = factories.OrganizationFactory(name="Müller", owner=teammate)
    # The manager may change both records and hand them within the team: allowed.
    merging.records_merge(actor=manager, survivor=orgs["keep"], others=[theirs], picks={"owner": theirs.pk})
    orgs["keep"].refresh_from_db()
    assert orgs["keep"].owner == teammate


@pytest.fixture
def people(rep, stages):
    org = factories.OrganizationFactory(owner=rep)
    other_org = factories.OrganizationFactory(owner=rep)
    keep = factories.ContactFactory(
        organization=org, owner=rep, email="ann@acme.example", phone="+49301234567", job_title=""
    )
    away = factories.ContactFactory(
        organization=other_org, owner=rep, email="Ann.Lee@gmail.example", phone="+49301234567", job_title="CFO"
    )
    ContactChannel.objects.create(contact=away, kind="email", label="private", value="ann@home.example")
    ContactChannel.objects.create(contact=away, kind="email", label="work", value="ANN@acme.example")
    world = {"keep": keep, "away": away, "org": org, "other_org": other_org}
    world["deal"] = factories.DealFactory(organization=other_org, contact=away, owner=rep, stage=stages[0])
    world["lead"] = factories.LeadFactory(contact=away, owner=rep)
    world["consent"] = services.contact_consent_set(actor=rep, contact=away, status=Consent.GRANTED, source="form")
    world["move"] = ContactMove.objects.create(contact=away, from_organization=org, to_organization=other_org)
    return world


def test_a_contact_merge_moves_deals_leads_channels_consent_and_moves(rep, people):
    keep, away = people["keep"], people["away"]
    merging.records_merge(actor=rep, survivor=keep, others=[away], picks={"job_title": away.pk})
    keep.refresh_from_db()
    assert keep.job_title == "CFO"
    assert Deal.objects.get(pk=people["deal"].pk).contact == keep
    assert Lead.objects.get(pk=people["lead"].pk).contact == keep
    assert list(ConsentChange.objects.filter(contact=keep).values_list("source", flat=True)) == ["form"]
    assert ContactMove.objects.get(pk=people["move"].pk).contact == keep
    assert keep.email_consent == Consent.GRANTED  # the latest recorded consent change
    # The further address moved; the one equal to the kept main address stayed behind; the
    # merged-away main address became a further one of the kept contact.
    assert sorted(keep.channels.values_list("value", flat=True)) == ["Ann.Lee@gmail.example", "ann@home.example"]


def test_a_contact_that_gets_the_other_organization_records_the_move(rep, people):
    keep, away = people["keep"], people["away"]
    merge = merging.records_merge(actor=rep, survivor=keep, others=[away], picks={"organization": away.pk})
    assert ContactMove.objects.filter(contact=keep, to_organization=people["other_org"]).exists()
    merging.merge_undo(actor=rep, merge=merge)
    keep.refresh_from_db()
    assert keep.organization == people["org"]


def test_undoing_a_contact_merge_restores_channels_consent_and_values(rep, people):
    keep, away = people["keep"], people["away"]
    merge = merging.records_merge(actor=rep, survivor=keep, others=[away], picks={"email": away.pk})
    keep.refresh_from_db()
    assert keep.email == "Ann.Lee@gmail.example"
    # The old main address is kept once, as the further address that moved over.
    assert sorted(v.casefold() for v in keep.channels.values_list("value", flat=True)) == [
        "ann@acme.example",
        "ann@home.example",
    ]
    merging.merge_undo(actor=rep, merge=merge)
    keep.refresh_from_db()
    away = Contact.objects.get(pk=away.pk)
    assert (keep.email, keep.email_consent) == ("ann@acme.example", Consent.UNKNOWN)
    assert not keep.channels.exists()
    assert sorted(away.channels.values_list("value", flat=True)) == ["ANN@acme.example", "ann@home.example"]
    assert Deal.objects.get(pk=people["deal"].pk).contact == away
    assert ConsentChange.objects.get(source="form").contact == away


def test_three_contacts_merge_into_one(rep, people):
    third = factories.ContactFactory(organization=people["org"], owner=rep, email="ann@home.example")
    merge = merging.records_merge(actor=rep, survivor=people["keep"], others=[people["away"], third])
    assert sorted(merge.merged_ids) == sorted([people["away"].pk, third.pk])
    assert Contact.objects.filter(pk__in=merge.merged_ids).count() == 0


def test_organizations_and_contacts_do_not_merge_together(rep, people):
    with pytest.raises(ValidationError):
        merging.records_merge(actor=rep, survivor=people["keep"], others=[people["org"]])


def test_the_preview_counts_what_points_at_each_record(rep, people):
    preview = dict(merging.merge_preview(records=[people["keep"], people["away"]]))
    assert preview[people["keep"]] == []
    counts = dict(preview[people["away"]])
    assert counts["deals"] == 1 and counts["leads"] == 1 and counts["consent changes"] == 1


def test_a_moved_deal_gets_a_new_version_so_an_open_form_or_board_sees_the_change(rep, orgs):
    before = orgs["deal"].version
    merging.records_merge(actor=rep, survivor=orgs["keep"], others=[orgs["away"]])
    assert Deal.objects.get(pk=orgs["deal"].pk).version == before + 1
