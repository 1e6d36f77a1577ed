"""Helpers of the segment and sequence page tests."""

from mail.models import EmailTemplate
from nurturing.models import Segment, Sequence, Step


def template(name="Welcome", owner=None):
    return EmailTemplate.objects.create(
        name=name, subject=f"{name} {{{{ contact.first_name }}}}", body="Hello", visibility="everyone", owner=owner
    )


def segment(owner, *, name="North contacts", kind=Segment.Kind.CONTACTS, query="region=north"):
    return Segment.objects.create(name=name, kind=kind, query=query, owner=owner)


def sequence(owner, *, name="Welcome series", status=Sequence.Status.DRAFT, segment=None, steps=()):
    created = Sequence.objects.create(name=name, owner=owner, status=status, segment=segment)
    for position, fields in enumerate(steps, start=1):
        Step.objects.create(sequence=created, position=position, **fields)
    return created
