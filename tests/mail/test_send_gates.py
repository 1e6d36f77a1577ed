"""Marketing e-mail passes the send gates right before SMTP; personal e-mail never does. The
further headers (List-Unsubscribe, …) are written into the message as stored and as sent."""

import pytest
from django.core import mail as django_mail

from mail import gates, sending
from mail.models import EmailMessage

Delivery = EmailMessage.Delivery


@pytest.fixture
def installation_mailer(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.DEFAULT_FROM_EMAIL = "Pipeline CRM <crm@nordlicht.example>"


@pytest.fixture
def gate():
    """A gate that says what `answers` holds; unregistered after the test."""
    answers, asked = {"reason": ""}, []

    def ask(message):
        asked.append(message.pk)
        return answers["reason"]

    sending.register_gate(ask)
    yield answers, asked
    sending.unregister_gate(ask)


@pytest.fixture
def heard():
    seen = []

    def listener(message, state, detail):
        seen.append((message.pk, state, detail))

    gates.register_delivery_listener(listener)
    yield seen
    gates.unregister_delivery_listener(listener)


def marketing(rep, **kwargs):
    return sending.send_email(
        sender=rep,
        to="k.brandt@brandt.example",
        subject="Neuigkeiten",
        text="Hallo",
        purpose="marketing",
        extra_headers=[("List-Unsubscribe", "<https://crm.example/e/u/abc/>")],
        **kwargs,
    )


def test_the_further_headers_are_stored_and_written_into_the_sent_message(rep, installation_mailer, gate):
    message = marketing(rep)

    assert message.purpose == "marketing"
    assert message.extra_headers == [["List-Unsubscribe", "<https://crm.example/e/u/abc/>"]]
    assert b"List-Unsubscribe: <https://crm.example/e/u/abc/>" in message.raw.read()
    assert sending.deliver(message.pk) == Delivery.SENT
    [sent] = django_mail.outbox
    assert sent.message()["List-Unsubscribe"] == "<https://crm.example/e/u/abc/>"


def test_a_gate_that_gives_a_reason_withholds_a_marketing_email_and_nothing_is_sent(
    rep, installation_mailer, gate, heard
):
    answers, asked = gate
    answers["reason"] = "suppressed"
    message = marketing(rep)

    assert sending.deliver(message.pk) == Delivery.WITHHELD

    assert django_mail.outbox == []
    assert asked == [message.pk]
    message.refresh_from_db()
    assert (message.delivery, message.delivery_error, message.claim_token) == (Delivery.WITHHELD, "suppressed", None)
    assert heard == [(message.pk, Delivery.WITHHELD, "suppressed")]
    assert sending.deliver(message.pk) is None, "a withheld message is never sent later"
    assert sending.deliver_pending() == 0


def test_a_gate_is_asked_after_the_claim_so_a_held_message_is_not_asked_twice(rep, installation_mailer, gate):
    _answers, asked = gate
    message = marketing(rep)
    token = sending.claim(message.pk)
    assert token is not None

    assert sending.deliver(message.pk) is None
    assert asked == [], "the gate runs only for the worker holding the claim"


def test_personal_email_is_never_gated(rep, installation_mailer, gate, heard):
    answers, asked = gate
    answers["reason"] = "suppressed"
    message = sending.send_email(sender=rep, to="k.brandt@brandt.example", subject="Angebot", text="Hallo")

    assert message.purpose == "personal"
    assert sending.deliver(message.pk) == Delivery.SENT
    assert asked == [] and heard == []
    assert len(django_mail.outbox) == 1


def test_a_marketing_email_the_gates_allow_is_sent_and_the_listeners_hear_it(rep, installation_mailer, gate, heard):
    message = marketing(rep)

    assert sending.deliver(message.pk) == Delivery.SENT
    assert heard == [(message.pk, Delivery.SENT, "")]
    assert len(django_mail.outbox) == 1


def test_a_listener_that_fails_does_not_undo_the_delivery(rep, installation_mailer, gate):
    def broken(message, state, detail):
        raise RuntimeError("bug")

    gates.register_delivery_listener(broken)
    try:
        message = marketing(rep)
        assert sending.deliver(message.pk) == Delivery.SENT
    finally:
        gates.unregister_delivery_listener(broken)
    message.refresh_from_db()
    assert message.delivery == Delivery.SENT
