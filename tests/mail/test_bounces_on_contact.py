"""A delivery failure (DSN) of a contact's address is shown on the contact's page, to whoever sees
the contact (docs/email.md, "What is stored")."""

import pytest
from django.urls import reverse

from mail.models import Bounce
from tests.factories import ContactFactory
from tests.mail.factories import stored_message

pytestmark = pytest.mark.django_db


def _bounce(owner, address, *, contact=None, permanent=True):
    report = stored_message(owner=owner, sender="mailer-daemon@crm.test", to=[owner.email], subject="Undelivered")
    return Bounce.objects.create(
        address=address,
        status="5.1.1" if permanent else "4.4.1",
        diagnostic="smtp; 550 5.1.1 User unknown" if permanent else "smtp; 451 try again",
        permanent=permanent,
        report=report,
        contact=contact,
    )


def test_a_bounced_address_is_marked_on_the_contact_page_for_everyone_who_sees_the_contact(client, rep, teammate):
    contact = ContactFactory(email="petra@brenner.example", owner=rep)
    _bounce(rep, "petra@brenner.example", contact=contact)
    client.force_login(teammate)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert 'data-testid="contact-bounces"' in html
    assert "undeliverable" in html and "550 5.1.1 User unknown" in html


def test_a_contact_without_bounces_shows_no_delivery_problem(client, rep):
    contact = ContactFactory(email="ok@brenner.example", owner=rep)
    _bounce(rep, "someone-else@brenner.example")
    client.force_login(rep)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert 'data-testid="contact-bounces"' not in html


def test_a_temporary_failure_says_delayed_not_undeliverable(client, rep):
    contact = ContactFactory(email="slow@brenner.example", owner=rep)
    _bounce(rep, "slow@brenner.example", permanent=False)
    client.force_login(rep)
    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "delivery delayed" in html and "undeliverable" not in html
