"""A marketing e-mail: written for the person (persona, industry, language), with the visible
unsubscribe and preferences links and the List-Unsubscribe headers, stored as a Send with its
mail message; asked again at delivery by the send gate; its Send follows the delivery."""

import pytest
from django.core import mail as django_mail

from customers.models import Consent
from mail import sending as mail_sending
from mail.models import EmailMessage, EmailTemplate
from nurturing import enrolment, sending
from nurturing.models import Enrolment, Send, Suppression
from tests import factories
from tests.nurturing.conftest import consenting_contact

pytestmark = pytest.mark.django_db


def test_the_email_is_written_for_the_person_with_footer_links_and_one_click_headers(rep, template):
    contact = consenting_contact(rep, first_name="Katrin", last_name="Brandt", email="K.Brandt@Brandt.example")

    send = sending.send_marketing(template=template, sender=rep, contact=contact)

    message = send.message
    assert (send.address, send.domain, send.status, send.sender) == (
        "k.brandt@brandt.example",
        "brandt.example",
        "queued",
        rep,
    )
    assert message.purpose == EmailMessage.Purpose.MARKETING
    assert message.subject == "Hallo Katrin"
    unsubscribe = f"https://crm.nordlicht.example/u/{send.token}/"
    preferences = f"https://crm.nordlicht.example/e/p/{send.token}/"
    assert message.extra_headers == [
        ["List-Unsubscribe", f"<{unsubscribe}>"],
        ["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"],
    ]
    assert "Guten Tag Katrin Brandt" in message.text_body
    assert f"Abmelden: {unsubscribe}" in message.text_body, "German template: German footer"
    assert f'href="{preferences}"' in message.html_body
    assert message.to == [{"name": "Katrin Brandt", "address": "k.brandt@brandt.example"}]


def test_an_english_contact_gets_an_english_footer_and_the_industry_and_persona_in_their_words(rep):
    template = EmailTemplate.objects.create(
        name="Industry",
        language="de",
        subject="Für {{ organization.industry }}",
        body="{{ persona.name }} kennt {{ persona.problems }}.",
    )
    persona = factories.PersonaFactory(name="Head of IT", problems="spreadsheet chaos")
    contact = consenting_contact(rep, language="en-gb", organization__industry="manufacturing")
    factories.LeadFactory(contact=contact, persona=persona, owner=rep)

    message = sending.send_marketing(template=template, sender=rep, contact=contact).message

    assert message.subject == "Für Manufacturing"
    assert "Head of IT kennt spreadsheet chaos." in message.text_body
    assert "Unsubscribe: https://crm.nordlicht.example/u/" in message.text_body


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"email_consent": Consent.UNKNOWN}, "no_consent"),
        ({"email_consent": Consent.WITHDRAWN}, "withdrawn"),
        ({"email": ""}, "no_address"),
        ({"email": "gone@example.com"}, "suppressed"),
    ],
)
def test_without_consent_nothing_is_written(rep, template, fields, reason):
    Suppression.objects.create(address="gone@example.com", reason="unsubscribed")
    contact = consenting_contact(rep, **fields)

    with pytest.raises(sending.SendRefused) as refused:
        sending.send_marketing(template=template, sender=rep, contact=contact)

    assert refused.value.reason == reason
    assert not Send.objects.exists() and not EmailMessage.objects.exists()


def test_a_template_that_cannot_be_written_for_the_person_stores_nothing(rep):
    template = EmailTemplate.objects.create(name="Leer", subject="{{ contact.first_name }}", body="Hallo")
    contact = consenting_contact(rep, first_name="")

    with pytest.raises(sending.SendRefused) as refused:
        sending.send_marketing(template=template, sender=rep, contact=contact)

    assert refused.value.reason == "template_error"
    assert not Send.objects.exists()


def test_a_sent_email_marks_its_send_sent(rep, template):
    send = sending.send_marketing(template=template, sender=rep, contact=consenting_contact(rep))

    assert mail_sending.deliver(send.message_id) == EmailMessage.Delivery.SENT

    send.refresh_from_db()
    assert send.status == "sent" and send.sent_at is not None
    [sent] = django_mail.outbox
    assert sent.message()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_consent_withdrawn_after_writing_withholds_the_email_at_delivery_and_ends_the_enrolment(
    rep, template, sequence
):
    contact = consenting_contact(rep)
    enrolment.enrol(sequence=sequence, contacts=[contact], via="manual", actor=rep)
    item = Enrolment.objects.get(contact=contact)
    send = sending.send_marketing(template=template, sender=rep, contact=contact, enrolment=item)
    contact.email_consent = Consent.WITHDRAWN
    contact.save()

    assert mail_sending.deliver(send.message_id) == EmailMessage.Delivery.WITHHELD

    assert django_mail.outbox == []
    send.refresh_from_db()
    item.refresh_from_db()
    assert (send.status, send.status_detail) == ("withheld", "withdrawn")
    assert (item.status, item.exit_reason) == ("exited", "withdrawn")


def test_an_email_of_an_enrolment_that_ended_meanwhile_is_withheld(rep, template, sequence):
    contact = consenting_contact(rep)
    enrolment.enrol(sequence=sequence, contacts=[contact], via="manual", actor=rep)
    item = Enrolment.objects.get(contact=contact)
    send = sending.send_marketing(template=template, sender=rep, contact=contact, enrolment=item)
    factories.DealFactory(owner=rep, contact=contact, status="won", won_at=send.created_at)
    deal = factories.DealFactory(owner=rep, contact=contact)
    deal.status, deal.won_at = "won", item.enrolled_at.replace(year=item.enrolled_at.year + 1)
    deal.save()

    assert mail_sending.deliver(send.message_id) == EmailMessage.Delivery.WITHHELD

    item.refresh_from_db()
    assert (item.status, item.exit_reason) == ("exited", "deal_won")


def test_send_states_catch_up_when_the_listener_did_not_run(rep, template):
    send = sending.send_marketing(template=template, sender=rep, contact=consenting_contact(rep))
    EmailMessage.objects.filter(pk=send.message_id).update(delivery="sent")

    assert sending.sync_send_states() == 1
    send.refresh_from_db()
    assert send.status == "sent" and send.sent_at is not None


def test_the_sender_is_the_records_owner_or_the_sequences(rep, manager, sequence):
    owned, unowned = consenting_contact(rep), consenting_contact(None)

    assert sending.sender_for(sequence=sequence, contact=owned) == rep
    assert sending.sender_for(sequence=sequence, contact=unowned) == sequence.owner
    sequence.sender = "sequence_owner"
    sequence.owner = manager
    assert sending.sender_for(sequence=sequence, contact=owned) == manager
