from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from customers.models import ContactChannel
from deals.models import Deal
from leads.models import Lead
from mail import linking
from mail.models import EmailMessage, Mailbox, Thread
from tests import factories
from tests.mail.factories import reply_to, stored_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return factories.OrganizationFactory(name="Acme GmbH", email_domain="acme.example")


@pytest.fixture
def petra(acme):
    return factories.ContactFactory(
        organization=acme, first_name="Petra", last_name="Kundin", email="petra@acme.example"
    )


def linked(message):
    return EmailMessage.objects.get(pk=linking.link_message(message).pk)


def test_a_sender_is_linked_to_the_contact_with_that_address_case_ignored(rep, petra):
    message = linked(stored_message(owner=rep, sender="Petra@ACME.example", to=[rep.email]))
    sender = message.participants.get(role="from")
    assert (sender.contact, sender.organization) == (petra, petra.organization)


def test_a_further_address_of_a_contact_links_too(rep, petra):
    ContactChannel.objects.create(contact=petra, kind="email", value="P.Kundin@privat.example")
    message = linked(stored_message(owner=rep, sender="p.kundin@privat.example", to=[rep.email]))
    assert message.participants.get(role="from").contact == petra


def test_a_contact_in_the_trash_is_not_linked(rep, petra):
    petra.deleted_at = timezone.now()
    petra.save(update_fields=["deleted_at"])
    message = linked(stored_message(owner=rep, sender="petra@acme.example", to=[rep.email]))
    assert message.participants.get(role="from").contact is None


def test_the_owners_and_other_users_addresses_are_not_customers(rep, teammate, acme):
    # Somebody stored a colleague as a contact: mail between colleagues is still not a customer's.
    factories.ContactFactory(organization=acme, email=teammate.email)
    factories.ContactFactory(organization=acme, email=rep.email)
    message = linked(stored_message(owner=rep, sender=rep.email, to=[teammate.email]))
    assert not message.participants.filter(contact__isnull=False).exists()


def test_one_open_deal_of_the_contact_links_the_message_and_the_thread_remembers_it(rep, petra):
    deal = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    message = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email]))
    assert message.deal == deal
    assert message.thread.deal == deal and not message.thread.needs_deal_choice


def test_several_open_deals_wait_for_the_owners_choice_which_every_message_of_the_thread_then_gets(rep, petra):
    first = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    second = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    question = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email]))
    answer = linked(reply_to(question, sender=rep.email, to=[petra.email]))
    assert question.deal is None and answer.deal is None
    assert question.thread == answer.thread and question.thread.needs_deal_choice
    assert {d.pk for d in linking.thread_deal_candidates(question.thread)} == {first.pk, second.pk}

    linking.thread_pick_deal(thread_id=question.thread_id, deal_id=second.pk, actor=rep)

    assert set(EmailMessage.objects.values_list("deal", flat=True)) == {second.pk}
    assert set(EmailMessage.objects.values_list("shared", flat=True)) == {True}
    later = linked(reply_to(answer, sender=petra.email, to=[rep.email]))
    assert later.deal == second
    assert not Thread.objects.get().needs_deal_choice


def test_only_the_owner_picks_and_only_an_offered_deal(rep, teammate, petra):
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    other = factories.DealFactory(owner=rep)
    message = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email]))
    with pytest.raises(PermissionDenied):
        linking.thread_pick_deal(thread_id=message.thread_id, deal_id=other.pk, actor=teammate)
    with pytest.raises(ValidationError):
        linking.thread_pick_deal(thread_id=message.thread_id, deal_id=other.pk, actor=rep)


def test_won_deals_and_deals_the_owner_may_not_see_are_no_candidates(rep, outsider, petra):
    factories.DealFactory(owner=outsider, organization=petra.organization, contact=petra)
    factories.DealFactory(
        owner=rep, organization=petra.organization, contact=petra, status=Deal.Status.WON, won_at=timezone.now()
    )
    mine = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    assert linked(stored_message(owner=rep, sender=petra.email, to=[rep.email])).deal == mine


def test_without_a_deal_of_the_contact_the_one_open_deal_of_its_organization_links(rep, petra):
    deal = factories.DealFactory(owner=rep, organization=petra.organization, contact=None)
    assert linked(stored_message(owner=rep, sender=petra.email, to=[rep.email])).deal == deal


def test_the_deal_of_the_contact_wins_over_the_organizations_other_deals(rep, petra):
    factories.DealFactory(owner=rep, organization=petra.organization, contact=None)
    hers = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    assert linked(stored_message(owner=rep, sender=petra.email, to=[rep.email])).deal == hers


def test_an_unknown_sender_with_one_open_lead_links_to_the_lead(rep):
    lead = factories.LeadFactory(owner=rep, email="Neu@Interessent.example")
    message = linked(stored_message(owner=rep, sender="neu@interessent.example", to=[rep.email]))
    assert (message.deal, message.lead) == (None, lead)
    assert message.shared
    assert message.participants.get(role="from").contact is None


def test_two_matching_leads_or_a_converted_one_link_nothing(rep):
    factories.LeadFactory(owner=rep, email="twice@interessent.example")
    factories.LeadFactory(owner=rep, email="twice@interessent.example")
    factories.LeadFactory(
        owner=rep, email="done@interessent.example", status=Lead.Status.CONVERTED, converted_at=timezone.now()
    )
    assert linked(stored_message(owner=rep, sender="twice@interessent.example", to=[rep.email])).lead is None
    assert linked(stored_message(owner=rep, sender="done@interessent.example", to=[rep.email])).lead is None


def test_a_message_written_on_a_deal_page_keeps_its_deal_and_gives_it_to_its_thread(rep, petra):
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    chosen = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    question = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email]))
    assert question.thread.needs_deal_choice
    answer = linked(reply_to(question, sender=rep.email, to=[petra.email], source=EmailMessage.Source.CRM, deal=chosen))
    assert answer.deal == chosen
    assert EmailMessage.objects.get(pk=question.pk).deal == chosen
    assert not Thread.objects.get().needs_deal_choice


def test_a_reply_stored_before_its_original_joins_the_same_thread(rep, petra):
    original = stored_message(owner=rep, sender=rep.email, to=[petra.email], message_id="<orig@crm.example>")
    reply = reply_to(original, sender=petra.email, to=[rep.email])
    linking.link_message(reply)
    linking.link_message(original)
    assert Thread.objects.count() == 1
    assert EmailMessage.objects.filter(thread__isnull=False).count() == 2


def test_a_message_naming_two_threads_merges_them_and_keeps_the_deal_choice(rep, petra):
    first = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    one = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email], message_id="<one@x.example>"))
    two = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email], message_id="<two@x.example>"))
    assert one.thread != two.thread
    linking.thread_pick_deal(thread_id=two.thread_id, deal_id=first.pk, actor=rep)
    both = linked(
        stored_message(
            owner=rep,
            sender=rep.email,
            to=[petra.email],
            in_reply_to="<two@x.example>",
            references="<one@x.example> <two@x.example>",
        )
    )
    thread = Thread.objects.get()
    assert both.thread == thread and thread.pk == one.thread_id
    assert thread.deal == first and thread.deal_picked_by == rep and not thread.needs_deal_choice
    assert set(EmailMessage.objects.values_list("thread", flat=True)) == {thread.pk}
    assert both.deal == first


def test_threads_are_per_owner(rep, teammate, petra):
    original = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email, teammate.email]))
    copy = linked(stored_message(owner=teammate, sender=petra.email, to=[rep.email], message_id=original.message_id))
    assert original.thread != copy.thread
    assert copy.thread.owner == teammate


def test_the_thread_subject_drops_reply_prefixes_and_follows_the_newest_message(rep, petra):
    original = linked(stored_message(owner=rep, sender=rep.email, to=[petra.email], subject="AW: Re: Angebot 2026"))
    reply = linked(reply_to(original, sender=petra.email, to=[rep.email]))
    thread = Thread.objects.get()
    assert thread.subject == "Angebot 2026"
    assert thread.last_message_at == reply.sent_at


def test_linking_twice_changes_nothing(rep, petra):
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    message = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email], cc=["someone@else.example"]))
    before = (message.thread_id, message.deal_id, message.lead_id, message.shared)
    participants = list(message.participants.values_list("address", "contact", "organization"))
    again = linked(message)
    assert (again.thread_id, again.deal_id, again.lead_id, again.shared) == before
    assert list(again.participants.values_list("address", "contact", "organization")) == participants
    assert Thread.objects.count() == 1


def test_an_owner_who_shares_nothing_keeps_linked_messages_private(rep, petra):
    Mailbox.objects.create(user=rep, sharing=Mailbox.Sharing.NONE)
    deal = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    message = linked(stored_message(owner=rep, sender=petra.email, to=[rep.email]))
    assert message.deal == deal and not message.shared


def test_the_dropbox_address_is_not_a_customer(rep, petra, settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    factories.ContactFactory(organization=petra.organization, email="crm+abc123@pipeline.example")
    message = linked(stored_message(owner=rep, sender=rep.email, to=[petra.email], cc=["crm+abc123@pipeline.example"]))
    assert message.participants.get(role="cc").contact is None
    assert message.participants.get(role="to").contact == petra


def test_a_fixed_number_of_queries_whatever_the_owners_history(rep, petra, django_assert_max_num_queries):
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    for _ in range(30):
        linking.link_message(stored_message(owner=rep, sender=petra.email, to=[rep.email]))
    message = stored_message(owner=rep, sender=petra.email, to=[rep.email], cc=["x@y.example"])
    with django_assert_max_num_queries(16):
        linking.link_message(message)


def test_a_message_written_on_a_lead_page_stays_on_the_lead(rep, petra):
    factories.DealFactory(owner=rep, organization=petra.organization, contact=petra)
    lead = factories.LeadFactory(owner=rep, email="other@prospect.example")
    message = linked(
        stored_message(owner=rep, sender=rep.email, to=[petra.email], source=EmailMessage.Source.CRM, lead=lead)
    )
    assert (message.lead, message.deal) == (lead, None)
    assert message.shared


def test_a_reply_from_a_clock_running_behind_still_finds_its_original_stored_later(rep, petra):
    original = stored_message(owner=rep, sender=rep.email, to=[petra.email], message_id="<clock@crm.example>")
    reply = reply_to(original, sender=petra.email, to=[rep.email], sent_at=original.sent_at - timedelta(hours=3))
    linking.link_message(reply)
    linking.link_message(original)
    assert Thread.objects.count() == 1
