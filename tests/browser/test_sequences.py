"""A manager builds a segment and a three-step sequence (e-mail, wait, e-mail) for it in real
Chromium, with the step builder's htmx partials, and activates it; the worker enrols the members
and sends the first e-mail through the rep's mailbox on the real mail server; a customer clicks
the tracked link in it (counted), replies, and leaves the sequence (docs/nurturing.md)."""

import re
import smtplib
import ssl
import time
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import expect

from accounts.models import User
from customers.models import Consent
from deals import defaults
from deals.models import LostReason, Pipeline, Stage
from mail import sending as mail_sending
from mail import sync
from mail.models import EmailTemplate
from nurturing import conditions, engine, enrolment
from nurturing.models import Enrolment, Segment, Send, Sequence, TrackingEvent
from tests import factories
from tests.browser.test_mail import _inbox

pytestmark = pytest.mark.mailserver

# What a customer's desktop browser says; headless Chromium's own user agent is on the bot list.
DESKTOP_CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def team(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    manager = factories.UserFactory(username="maria", first_name="Maria", last_name="Miller", role=User.Role.MANAGER)
    north.managers.add(manager)
    return {"rep": rep, "manager": manager}


def test_a_manager_builds_a_sequence_a_customer_clicks_replies_and_leaves_it(
    page, live_server, login, team, settings, mail_server, server_account, connect_mailbox
):
    settings.CRM_BASE_URL = live_server.url  # the tracked links lead to this server
    settings.CRM_NURTURE_QUIET_HOURS = ""  # the test may run at night
    settings.CRM_TRACKING_MIN_SECONDS = 0  # Nora clicks seconds after delivery, as no person would
    rep = team["rep"]
    customer, customer_password = server_account("nora")
    time.sleep(1.1)  # the rep's account in another second (Dovecot rereads its users by mtime)
    mailbox = connect_mailbox(rep)
    north = factories.OrganizationFactory(name="Nordwerk GmbH", region="north", owner=rep)
    south = factories.OrganizationFactory(name="Südhaus AG", region="south", owner=rep)
    granted = {"owner": rep, "email_consent": Consent.GRANTED}
    nora = factories.ContactFactory(
        first_name="Nora", last_name="Nordmann", organization=north, email=customer, **granted
    )
    factories.ContactFactory(first_name="Nils", last_name="Nordberg", organization=north, **granted)
    factories.ContactFactory(first_name="Sina", last_name="Südmann", organization=south, **granted)
    guide = f"{live_server.url}/healthz/live"
    EmailTemplate.objects.create(
        name="Willkommen",
        subject="Willkommen, {{ contact.first_name }}",
        body=f"Guten Tag {{{{ contact.full_name }}}},\n\nunser Leitfaden: {guide}\n\nViele Grüße",
        visibility="everyone",
    )
    EmailTemplate.objects.create(name="Erinnerung", subject="Erinnerung", body="Hallo", visibility="everyone")
    login(page, team["manager"])

    # The segment: contacts in the north, from the contact list's own filters.
    page.goto(f"{live_server.url}/sequences/")
    page.get_by_test_id("segments-link").click()
    page.get_by_test_id("new-contact-segment").click()
    page.locator("input[name=name]").fill("Kunden Nord")
    page.locator("select[name=region]").select_option("north")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_test_id("segment-member-count")).to_have_text("2 members")

    # The sequence for it.
    page.get_by_role("link", name="New sequence for this segment").click()
    page.locator("input[name=name]").fill("Begrüßung Nord")
    page.get_by_test_id("sequence-form").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("sequence-status")).to_have_text("draft")

    # Three steps with the builder: e-mail, wait, e-mail.
    def add_step(kind, fill):
        page.get_by_test_id("add-step").click()
        form = page.get_by_test_id("step-form")
        form.locator("select[name=kind]").select_option(kind)
        fill(form)
        form.get_by_test_id("save-step").click()
        expect(page.get_by_test_id("step-form")).to_have_count(0)

    add_step("email", lambda form: form.locator("select[name=template]").select_option(label="Willkommen (German)"))
    expect(page.get_by_test_id("step")).to_have_count(1)

    def wait_three_days(form):
        expect(form.locator("select[name=template]")).to_be_hidden()  # only the wait's fields show
        form.locator("input[name=wait_days]").fill("3")

    add_step("wait", wait_three_days)
    add_step("email", lambda form: form.locator("select[name=template]").select_option(label="Erinnerung (German)"))
    expect(page.get_by_test_id("step")).to_have_count(3)
    expect(page.get_by_test_id("step").nth(1)).to_contain_text("3 days")

    # Activate; the worker enrols the segment's members, and the page lists them.
    page.get_by_test_id("activate").click()
    expect(page.get_by_test_id("sequence-status")).to_have_text("active")
    sequence = Sequence.objects.get(name="Begrüßung Nord")
    assert enrolment.enrol_segment(sequence).enrolled == 2  # the task the activation queued
    page.reload()
    enrolled = page.get_by_test_id("enrolment")
    expect(enrolled).to_have_count(2)
    expect(page.get_by_test_id("enrolments")).to_contain_text("Nora Nordmann")
    expect(page.get_by_test_id("enrolments")).not_to_contain_text("Südmann")

    assert sequence.segment == Segment.objects.get(name="Kunden Nord")
    assert list(sequence.steps.values_list("kind", flat=True)) == ["email", "wait", "email"]
    assert Enrolment.objects.filter(sequence=sequence, status="active").count() == 2

    # The worker runs the first step: Nora's e-mail goes out through the rep's own mailbox.
    engine.run_due()
    send = Send.objects.get(contact=nora)
    mail_sending.deliver(send.message_id)  # the delivery task
    (received,) = _inbox(mail_server, customer, customer_password)
    assert received["Subject"] == "Willkommen, Nora"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = received.get_body(("html",)).get_content()
    (tracked,) = re.findall(r'href="([^"]*/t/c/[^"]+)"', html)
    assert f'href="{guide}"' not in html  # the link goes through the tracking

    # Nora clicks the link in her own browser: counted, and she lands on the guide.
    customer_browser = page.context.browser.new_context(user_agent=DESKTOP_CHROME)
    customer_page = customer_browser.new_page()
    customer_page.goto(tracked.replace("&amp;", "&"))
    assert customer_page.url == guide
    customer_browser.close()
    click = TrackingEvent.objects.get(send=send, kind="click")
    assert (click.counted, click.filtered) == (True, "")
    send.refresh_from_db()
    assert send.clicked_at is not None

    # She replies through the real SMTP server; one mailbox sync and the reply check end her enrolment.
    reply = MimeMessage()
    reply["From"] = f"Nora Nordmann <{customer}>"
    reply["To"] = mailbox.email_address
    reply["Subject"] = "AW: Willkommen, Nora"
    reply["Message-ID"] = make_msgid(domain="nordwerk.test")
    reply["In-Reply-To"] = received["Message-ID"]
    reply.set_content("Danke, bitte rufen Sie mich an.")
    with smtplib.SMTP(mail_server.host, mail_server.ports["smtp"], timeout=10) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=str(mail_server.cert_path)))
        smtp.login(customer, customer_password)
        smtp.send_message(reply)
    sync.sync_mailbox(mailbox)
    conditions.mark_replies()

    page.reload()
    row = page.get_by_test_id("enrolment").filter(has_text="Nora Nordmann")
    expect(row).to_contain_text("replied")
    expect(page.get_by_test_id("enrolment").filter(has_text="Nils Nordberg")).to_contain_text("active")
    left = Enrolment.objects.get(contact=nora)
    assert (left.status, left.exit_reason) == (Enrolment.Status.EXITED, "replied")
