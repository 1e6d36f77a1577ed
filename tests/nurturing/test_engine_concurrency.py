"""Four engine runs at the same moment on PostgreSQL, each on its own connection: every
enrolment runs once, every person gets one e-mail written."""

import pytest

from mail.models import EmailMessage
from nurturing import engine, enrolment
from nurturing.models import Enrolment, Send
from tests.concurrency import run_in_threads
from tests.nurturing.conftest import TUESDAY_10, consenting_contact, email, make_sequence

PEOPLE = 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_write_each_persons_email_once(rep, template, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CRM_NURTURE_DOMAIN_RATE_PER_MINUTE = 1000
    sequence = make_sequence(rep, email(template))
    enrolment.enrol(sequence=sequence, contacts=[consenting_contact(rep) for _ in range(PEOPLE)], via="manual")
    totals = []

    def run():
        totals.append(engine.run_due(now=TUESDAY_10, batch_size=7)["sent"])

    run_in_threads(run, count=4)

    assert sum(totals) == PEOPLE
    assert Send.objects.count() == PEOPLE
    assert EmailMessage.objects.filter(purpose="marketing").count() == PEOPLE
    assert Enrolment.objects.filter(status="completed").count() == PEOPLE
