"""Plain ORM rows for the tracking and numbers tests: a sequence with steps, marketing sends
with their e-mail, tracked links (the sending code of the engine part is not used here)."""

import uuid
from datetime import timedelta

from django.utils import timezone

from mail.models import EmailMessage, EmailTemplate
from nurturing.models import Segment, Send, Sequence, Step, TrackedLink

T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)


def sequence(owner, name="Welcome", *, track_opens=False, segment=None, status=Sequence.Status.ACTIVE):
    return Sequence.objects.create(name=name, owner=owner, track_opens=track_opens, segment=segment, status=status)


def segment(owner, name="Software north"):
    return Segment.objects.create(name=name, kind=Segment.Kind.CONTACTS, query="industry=software", owner=owner)


def template(name="Intro"):
    return EmailTemplate.objects.create(name=name, subject=f"{name} subject", body="Hello")


def email_step(seq, position, tmpl):
    return Step.objects.create(sequence=seq, position=position, kind=Step.Kind.EMAIL, template=tmpl)


def send(*, contact=None, lead=None, sequence=None, step=None, at=None, status=Send.Status.SENT, **fields):
    """A marketing e-mail sent at `at` (T0 by default) with its mail message."""
    at = at or T0
    person = contact or lead
    address = person.email.lower()
    owner = person.owner
    message = EmailMessage.objects.create(
        owner=owner,
        source=EmailMessage.Source.CRM,
        message_id=f"<nurture-{uuid.uuid4().hex}@test>",
        direction=EmailMessage.Direction.OUTBOUND,
        subject="Hello",
        from_address=f"{owner.username}@example.com",
        to=[{"name": "", "address": address}],
        sent_at=at,
        delivery=EmailMessage.Delivery.SENT,
        purpose=EmailMessage.Purpose.MARKETING,
    )
    return Send.objects.create(
        contact=contact,
        lead=lead,
        sequence=sequence,
        step=step,
        template=step.template if step else None,
        segment=fields.pop("segment", sequence.segment if sequence else None),
        sender=owner,
        message=message,
        address=address,
        domain=address.rsplit("@", 1)[1],
        status=status,
        created_at=at,
        sent_at=at if status in (Send.Status.SENT, Send.Status.BOUNCED) else None,
        **fields,
    )


def link(send_row, position, url="https://example.org/page", *, is_download=False):
    return TrackedLink.objects.create(send=send_row, position=position, url=url, is_download=is_download)
