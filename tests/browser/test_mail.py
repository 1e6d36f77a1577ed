"""A rep connects a mailbox in the browser, a customer's reply arrives through the real SMTP
server, one sync puts it on the deal's timeline, and the rep answers from there (docs/email.md)."""

import email
import imaplib
import smtplib
import ssl
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import expect

from mail import sending, sync
from mail.models import EmailMessage, Mailbox
from tests.factories import ContactFactory, DealFactory, OrganizationFactory

pytestmark = pytest.mark.mailserver


def _inbox(server, address, password):
    client = imaplib.IMAP4(server.host, server.ports["imap"])
    client.starttls(ssl_context=ssl.create_default_context(cafile=str(server.cert_path)))
    client.login(address, password)
    client.select("INBOX", readonly=True)
    _, data = client.uid("SEARCH", None, "ALL")
    messages = []
    for uid in data[0].split():
        _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
        messages.append(email.message_from_bytes(fetched[0][1], policy=email.policy.default))
    client.logout()
    return messages


def test_a_rep_connects_a_mailbox_sees_the_customers_reply_on_the_deal_and_answers_it(
    page, live_server, login, rep, stages, mail_server, mail_settings, server_account
):
    rep_address, rep_password = server_account("rep")
    customer_address, customer_password = server_account("customer")
    organization = OrganizationFactory(name="Brenner Maschinenbau", owner=rep)
    contact = ContactFactory(
        first_name="Petra", last_name="Brenner", email=customer_address, organization=organization, owner=rep
    )
    deal = DealFactory(
        title="Fräszentrum FZ-40", owner=rep, stage=stages[2], organization=organization, contact=contact
    )

    # 1. The rep connects the mailbox on /accounts/mailbox/ (STARTTLS both ways).
    login(page, rep)
    page.goto(f"{live_server.url}/accounts/mailbox/")
    form = page.locator("form:has([data-testid=mailbox-save])")
    form.locator("[data-field=email_address]").fill(rep_address)
    form.locator("[data-field=imap_host]").fill(mail_server.host)
    form.locator("[data-field=imap_port]").fill(str(mail_server.ports["imap"]))
    form.locator("[data-field=imap_security]").select_option("starttls")
    form.locator("[data-field=smtp_host]").fill(mail_server.host)
    form.locator("[data-field=smtp_port]").fill(str(mail_server.ports["smtp"]))
    form.locator("[data-field=smtp_security]").select_option("starttls")
    form.locator("[data-field=password]").fill(rep_password)
    page.get_by_test_id("mailbox-save").click()
    expect(page.get_by_test_id("mailbox-status-value")).to_have_text("working")
    expect(page.get_by_test_id("mailbox-password-stored")).to_be_visible()
    mailbox = Mailbox.objects.get(user=rep)
    assert mailbox.is_connected and rep_password not in page.content()

    # 2. The customer answers an earlier message of the rep's, through the real SMTP server.
    reply = MimeMessage()
    reply["From"] = f"Petra Brenner <{customer_address}>"
    reply["To"] = rep_address
    reply["Subject"] = "AW: Angebot Fräszentrum"
    reply["Message-ID"] = make_msgid(domain="customer.test")
    reply["In-Reply-To"] = "<angebot-1@crm.test>"
    reply.set_content("Guten Tag,\n\nkönnen wir die Lieferung auf März legen?\n\nPetra Brenner")
    with smtplib.SMTP(mail_server.host, mail_server.ports["smtp"], timeout=10) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=str(mail_server.cert_path)))
        smtp.login(customer_address, customer_password)
        smtp.send_message(reply)

    # 3. One sync (what beat runs every few minutes) puts it on the deal's timeline.
    sync.sync_mailbox(mailbox)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    item = page.get_by_test_id("timeline-mail").filter(has_text="AW: Angebot Fräszentrum")
    expect(item).to_be_visible()
    expect(page.get_by_test_id("timeline-mail-snippet").first).to_contain_text("Lieferung auf März")

    # 4. The rep opens it and answers from the deal.
    item.click()
    expect(page.get_by_test_id("mail-subject")).to_have_text("AW: Angebot Fräszentrum")
    page.get_by_test_id("mail-reply").click()
    expect(page.get_by_test_id("compose-to")).to_have_value(f"Petra Brenner <{customer_address}>")
    expect(page.locator("#id_subject")).to_have_value("Re: Angebot Fräszentrum")
    page.locator("#id_body").fill("Guten Tag Frau Brenner,\n\nMärz passt.\n\nViele Grüße")
    page.get_by_test_id("compose-send").click()
    expect(page.get_by_test_id("compose-sent")).to_be_visible()

    answer = EmailMessage.objects.get(owner=rep, source=EmailMessage.Source.CRM)
    assert (answer.deal, answer.thread_id) == (deal, EmailMessage.objects.get(subject=reply["Subject"]).thread_id)
    sending.deliver(answer.pk)  # the worker's task
    answer.refresh_from_db()
    assert answer.delivery == EmailMessage.Delivery.SENT

    received = _inbox(mail_server, customer_address, customer_password)
    assert [message["Subject"] for message in received] == ["Re: Angebot Fräszentrum"]
    assert received[0]["In-Reply-To"] == reply["Message-ID"]
    assert "März passt." in received[0].get_body(("plain",)).get_content()

    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_test_id("timeline-mail-direction").filter(has_text="E-mail sent")).to_be_visible()
