"""Writes of the mail app that are not sending (mail/sending.py): e-mail templates."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts import scoping
from mail import selectors, templating
from mail.models import EmailTemplate

TEMPLATE_FIELDS = ("name", "language", "subject", "body", "is_html", "visibility", "team")


def _checked(data, *, actor):
    """Refuse placeholders outside the whitelist (ValidationError listing the allowed ones);
    clean HTML; a team template is for one of the actor's teams."""
    templating.validate(data["subject"])
    templating.validate(data["body"])
    data = dict(data)
    if data.get("is_html"):
        data["body"] = templating.sanitise_html(data["body"])
    if data.get("visibility") != EmailTemplate.Visibility.TEAM:
        data["team"] = None
    elif data.get("team") is None and actor.team_id:
        data["team"] = actor.team
    return data


def template_create(*, actor, data):
    data = _checked(data, actor=actor)
    return EmailTemplate.objects.create(owner=actor, **{field: data.get(field) for field in TEMPLATE_FIELDS})


def template_update(*, actor, template_id, data):
    with transaction.atomic():
        template = selectors.template_get_for_change(user=actor, template_id=template_id)
        data = _checked(data, actor=actor)
        for field in TEMPLATE_FIELDS:
            setattr(template, field, data.get(field))
        template.save()
    return template


def template_delete(*, actor, template_id):
    template = selectors.template_get_for_change(user=actor, template_id=template_id)
    if template.owner_id is None and not scoping.is_admin(actor):
        raise PermissionDenied
    template.delete()
