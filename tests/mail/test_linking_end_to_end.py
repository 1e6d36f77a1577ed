"""Linking with real mail: the rep writes to a customer and the customer answers from a mail
client, both through the real SMTP server; the rep's INBOX is read over IMAP and each message is
stored as the sync stores it (headers as sent) before `link_message`. The conversation is one
thread on the deal's timeline."""

import email
import smtplib
import ssl
from email.message import EmailMessage as MimeMessage
from email.utils import getaddresses, make_msgid, parsedate_to_datetime

import pytest
from django.urls import reverse

from mail import linking
from mail.connection import imap_session
from mail.models import EmailMessage, Participant, Thread
from tests import factories

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db]


def send(mail_server, *, login, password, message):
    context = ssl.create_default_context(cafile=str(mail_server.cert_path))
    with smtplib.SMTP(mail_server.host, mail_server.ports["smtp"], timeout=10) as smtp:
        smtp.starttls(context=context)
        smtp.login(login, password)
        smtp.send_message(message)


def fetch_inbox(mailbox):
    with imap_session(mailbox) as client:
        client.select("INBOX")
        _status, data = client.uid("search", None, "ALL")
        raws = []
        for uid in data[0].split():
            _status, parts = client.uid("fetch", uid, "(RFC822)")
            raws.append(parts[0][1])
        return raws


def store(raw, *, owner):
    """The fields the sync stores from a message's headers, and its participants."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    (from_name, from_address), *_ = getaddresses([str(parsed["From"])])
    to = [{"name": n, "address": a.lower()} for n, a in getaddresses(parsed.get_all("To", []))]
    message = EmailMessage.objects.create(
        owner=owner,
        source=EmailMessage.Source.INBOX,
        message_id=str(parsed["Message-ID"]).strip(),
        in_reply_to=str(parsed.get("In-Reply-To", "")).strip(),
        references=" ".join(str(parsed.get("References", "")).split()),
        direction=EmailMessage.Direction.INBOUND,
        subject=str(parsed["Subject"]),
        from_name=from_name,
        from_address=from_address.lower(),
        to=to,
        sent_at=parsedate_to_datetime(str(parsed["Date"])),
        text_body=parsed.get_body(preferencelist=("plain",)).get_content(),
    )
    Participant.objects.bulk_create(
        [Participant(message=message, role="from", name=from_name, address=from_address.lower())]
        + [Participant(message=message, role="to", **entry) for entry in to]
    )
    return message


def test_a_customers_reply_through_the_real_server_joins_the_reps_thread_on_the_deal(
    client, rep, connect_mailbox, server_account, mail_server
):
    mailbox = connect_mailbox(rep)
    rep.email = mailbox.email_address
    rep.save(update_fields=["email"])
    customer, customer_password = server_account("petra")
    petra = factories.ContactFactory(first_name="Petra", last_name="Kundin", email=customer.upper())
    deal = factories.DealFactory(owner=rep, organization=petra.organization, contact=petra, title="Acme rollout")

    question = MimeMessage()
    question["From"], question["To"] = f"Alice Adams <{rep.email}>", f"Petra Kundin <{customer}>"
    question["Subject"], question["Message-ID"] = "Angebot Acme", make_msgid(domain="crm.test")
    question["Date"] = email.utils.formatdate(localtime=True)
    question.set_content("Guten Tag Frau Kundin,\nanbei unser Angebot.")
    # The rep's copy, as the sent folder would hold it: linked first.
    sent = store(question.as_bytes(), owner=rep)
    EmailMessage.objects.filter(pk=sent.pk).update(source="sent", direction="out")
    linking.link_message(sent)
    send(mail_server, login=rep.email, password=mailbox.server_password, message=question)

    answer = MimeMessage()
    answer["From"], answer["To"] = f"Petra Kundin <{customer}>", f"Alice Adams <{rep.email}>"
    answer["Subject"], answer["Message-ID"] = "AW: Angebot Acme", make_msgid(domain="acme.test")
    answer["In-Reply-To"] = answer["References"] = question["Message-ID"]
    answer["Date"] = email.utils.formatdate(localtime=True)
    answer.set_content("Danke, wir melden uns bis Freitag.")
    send(mail_server, login=customer, password=customer_password, message=answer)

    raws = fetch_inbox(mailbox)
    assert len(raws) == 1  # the customer's answer reached the rep's INBOX
    received = linking.link_message(store(raws[0], owner=rep))

    assert received.deal == deal and received.shared
    assert received.participants.get(role="from").contact == petra
    assert Thread.objects.get().messages.count() == 2
    client.force_login(rep)
    html = client.get(reverse("timeline:deal", args=[deal.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "AW: Angebot Acme" in html and "Angebot Acme" in html
