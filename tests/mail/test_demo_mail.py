"""The demo's e-mail (analytics/demo_mail.py): linked conversations, one waiting for a deal choice,
one unknown sender — stored and linked like synced mail."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from mail.models import Attachment, EmailMessage, Thread

pytestmark = pytest.mark.django_db


def seed(**options):
    call_command("seed_demo", stdout=open("/dev/null", "w"), **options)  # noqa: SIM115


def test_the_demo_has_linked_conversations_a_deal_choice_and_an_unknown_sender():
    seed(deals=120)
    # The conversations (the demo's sent quotes are recorded as e-mails of their own, one each).
    threads = Thread.objects.filter(deal__isnull=False).exclude(messages__source="crm").annotate(n=Count("messages"))
    assert threads.count() >= 10
    assert {t.n for t in threads} <= {2, 3, 4, 5}
    linked = EmailMessage.objects.filter(deal__isnull=False)
    assert not linked.exclude(deal=F("thread__deal")).exists()
    assert not linked.filter(shared=False).exists()
    assert set(linked.values_list("direction", flat=True)) == {"in", "out"}
    assert not linked.exclude(participants__contact=F("deal__contact")).exists()  # the deal's contact wrote
    subjects = " ".join(EmailMessage.objects.values_list("subject", flat=True))
    assert "AW:" in subjects and "Re:" in subjects  # German and English conversations
    pdf = Attachment.objects.filter(content_type="application/pdf").first()
    assert pdf.file.read().startswith(b"%PDF-")

    waiting = Thread.objects.get(needs_deal_choice=True)
    assert waiting.messages.count() >= 2 and not waiting.messages.filter(deal__isnull=False).exists()
    unknown = EmailMessage.objects.get(from_address="jana.neumann@neukunde-beispiel.de")
    assert (unknown.deal, unknown.lead, unknown.shared) == (None, None, False)
    assert not unknown.participants.filter(contact__isnull=False).exists()


def test_a_reset_replaces_the_demo_mail():
    seed(deals=60)
    seed(deals=60, reset=True)
    waiting_or_unknown = Q(thread__needs_deal_choice=True) | Q(from_address="jana.neumann@neukunde-beispiel.de")
    # No message of the wiped deals is left behind (their deal would be gone).
    # (The nurturing demo's marketing e-mails go to contacts, not deals.)
    unlinked = EmailMessage.objects.filter(deal__isnull=True, purpose=EmailMessage.Purpose.PERSONAL)
    assert not unlinked.exclude(waiting_or_unknown).exists()
    assert EmailMessage.objects.filter(message_id="<demo-unknown@pipeline-demo.example>").count() == 1
