"""Sequences, templates and consenting people for the nurturing tests.

The engine runs at a fixed time outside the quiet hours (Tuesday 10:00 in Berlin) unless a test
passes another `now`; mail goes to the in-memory mailer."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers.models import Consent
from mail.models import EmailTemplate
from nurturing.models import Sequence, Step
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


def next_tuesday(hour=10, minute=0):
    """The next Tuesday (at least a day ahead) at that time in Berlin: the engine runs "later" than
    the enrolments the test made just now."""
    day = datetime.now(BERLIN).date() + timedelta(days=1)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


# A Tuesday, 10:00 in Berlin: outside the default quiet hours (20-8).
TUESDAY_10 = next_tuesday()


@pytest.fixture(autouse=True)
def _mailer(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.DEFAULT_FROM_EMAIL = "Pipeline CRM <crm@nordlicht.example>"
    settings.CRM_BASE_URL = "https://crm.nordlicht.example"


@pytest.fixture
def template(db):
    return EmailTemplate.objects.create(
        name="Willkommen",
        language="de",
        subject="Hallo {{ contact.first_name }}",
        body="Guten Tag {{ contact.full_name }}, danke für Ihr Interesse.",
        visibility=EmailTemplate.Visibility.EVERYONE,
    )


def make_sequence(owner, *steps, **fields):
    """A sequence with steps given as dicts of Step fields (positions 1, 2, … unless given)."""
    fields.setdefault("status", Sequence.Status.ACTIVE)
    sequence = Sequence.objects.create(name=fields.pop("name", "Onboarding"), owner=owner, **fields)
    for number, step in enumerate(steps, start=1):
        Step.objects.create(sequence=sequence, **({"position": number} | step))
    return sequence


def email(template):
    return {"kind": Step.Kind.EMAIL, "template": template}


def consenting_contact(owner, **fields):
    fields.setdefault("email_consent", Consent.GRANTED)
    return factories.ContactFactory(owner=owner, **fields)


@pytest.fixture
def sequence(rep, template):
    return make_sequence(rep, email(template))
