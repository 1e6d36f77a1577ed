"""Who reads which e-mail (docs/email.md, "Privacy"): the owner their own; everybody else only
shared messages whose deal or lead they may see. Unlinked mail is the owner's alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mail import linking, selectors, sharing
from mail.models import EmailMessage, Mailbox
from tests import factories
from tests.mail.factories import stored_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(rep):
    organization = factories.OrganizationFactory(name="Acme GmbH")
    petra = factories.ContactFactory(organization=organization, email="petra@acme.example")
    deal = factories.DealFactory(owner=rep, organization=organization, contact=petra)
    lead_person = "lead@prospect.example"
    lead = factories.LeadFactory(owner=rep, email=lead_person)
    on_deal = linking.link_message(stored_message(owner=rep, sender=petra.email, to=[rep.email], subject="Deal mail"))
    on_lead = linking.link_message(stored_message(owner=rep, sender=lead_person, to=[rep.email], subject="Lead mail"))
    unlinked = linking.link_message(
        stored_message(owner=rep, sender="private@friend.example", to=[rep.email], subject="Private mail")
    )
    assert (on_deal.deal, on_lead.lead, unlinked.deal, unlinked.lead) == (deal, lead, None, None)
    return {
        "deal": deal,
        "lead": lead,
        "petra": petra,
        "organization": organization,
        "on_deal": on_deal,
        "on_lead": on_lead,
        "unlinked": unlinked,
    }


def subjects(queryset):
    return set(queryset.values_list("subject", flat=True))


ALL = {"Deal mail", "Lead mail", "Private mail"}
LINKED = {"Deal mail", "Lead mail"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep", ALL),
        ("teammate", LINKED),
        ("manager", LINKED),
        ("admin", LINKED),
        ("outsider", set()),
        ("manager_south", set()),
    ],
)
def test_each_role_reads_the_owners_linked_mail_only_where_it_sees_the_deal_or_lead(request, world, role, expected):
    user = request.getfixturevalue(role)
    assert subjects(selectors.visible_messages(user)) == expected


def test_a_rep_never_reads_a_teammates_unlinked_mail_on_any_path(world, teammate, manager, admin):
    unlinked = world["unlinked"]
    for user in (teammate, manager, admin):
        assert not selectors.visible_messages(user).filter(pk=unlinked.pk).exists()
        assert not selectors.thread_messages(user=user, thread=unlinked.thread).exists()


def test_sharing_none_keeps_even_linked_mail_private(world, rep, teammate, admin):
    Mailbox.objects.create(user=rep, sharing=Mailbox.Sharing.NONE)
    sharing.refresh_shared(rep)
    assert subjects(selectors.visible_messages(teammate)) == set()
    assert subjects(selectors.visible_messages(admin)) == set()
    assert subjects(selectors.visible_messages(rep)) == ALL


def test_a_message_follows_its_deal_when_the_deal_changes_hands(world, rep, outsider, teammate):
    from deals.models import Deal

    Deal.objects.filter(pk=world["deal"].pk).update(owner=outsider)
    assert "Deal mail" not in subjects(selectors.visible_messages(teammate))
    assert "Deal mail" in subjects(selectors.visible_messages(outsider))


def test_record_selectors_read_the_records_mail(world, rep):
    assert subjects(selectors.messages_for_deal(user=rep, deal=world["deal"])) == {"Deal mail"}
    assert subjects(selectors.messages_for_lead(user=rep, lead=world["lead"])) == {"Lead mail"}
    assert subjects(selectors.messages_for_contact(user=rep, contact=world["petra"])) == {"Deal mail"}
    assert subjects(selectors.messages_for_organization(user=rep, organization=world["organization"])) == {"Deal mail"}


def test_the_organization_reads_mail_linked_to_its_deals_without_its_people(world, rep):
    # The owner picked the organization's deal for mail with somebody of another company.
    other = stored_message(owner=rep, sender="advisor@consult.example", to=[rep.email], subject="Advisor")
    EmailMessage.objects.filter(pk=other.pk).update(deal=world["deal"], shared=True)
    found = subjects(selectors.messages_for_organization(user=rep, organization=world["organization"]))
    assert found == {"Deal mail", "Advisor"}


def test_a_teammate_reads_a_contacts_mail_only_when_linked(world, rep, teammate):
    stored = stored_message(owner=rep, sender=world["petra"].email, to=[rep.email], subject="Before the deal")
    linking.link_message(stored)
    EmailMessage.objects.filter(pk=stored.pk).update(deal=None, shared=False)
    mine = subjects(selectors.messages_for_contact(user=rep, contact=world["petra"]))
    theirs = subjects(selectors.messages_for_contact(user=teammate, contact=world["petra"]))
    assert mine == {"Deal mail", "Before the deal"}
    assert theirs == {"Deal mail"}


def _more_mail(rep, world, count):
    for n in range(count):
        linking.link_message(stored_message(owner=rep, sender=world["petra"].email, to=[rep.email], subject=f"M{n}"))


@pytest.mark.parametrize(
    "read",
    [
        lambda user, w: selectors.messages_for_deal(user=user, deal=w["deal"]),
        lambda user, w: selectors.messages_for_contact(user=user, contact=w["petra"]),
        lambda user, w: selectors.messages_for_organization(user=user, organization=w["organization"]),
        lambda user, w: selectors.thread_messages(user=user, thread=w["on_deal"].thread),
    ],
    ids=["deal", "contact", "organization", "thread"],
)
def test_a_list_of_mail_costs_two_queries_at_any_size(world, rep, teammate, read):
    # Expected: 1. the messages (scope and attachment count as subqueries), 2. their participants.
    counts = []
    for extra in (0, 15):
        _more_mail(rep, world, extra)
        for user in (rep, teammate):
            with CaptureQueriesContext(connection) as queries:
                rows = selectors.message_rows(read(user, world), limit=50)
                shown = [
                    ([p.address for p in row.participants.all()], row.owner, row.deal, row.lead, row.attachment_count)
                    for row in rows
                ]
            assert shown
            counts.append(len(queries))
    assert counts == [2, 2, 2, 2]
