"""Writes of webhook subscriptions: create, update, delete, re-enable, rotate the secret.

Rights: a user manages their own subscriptions, an admin everyone's (selectors). Only an
admin may allow a target in a private network (`allow_private_network`, SSRF): anyone else
asking for it is refused (PermissionDenied), and when someone other than an admin changes
the URL of a subscription an admin had allowed, the allowance is dropped and the new URL
must be public, because the admin allowed that one address, not any.

The signing secret (`whsec_` + 32 random bytes, URL-safe) is stored encrypted with
`mail.crypto` (it has to be read again to sign each delivery, so it cannot be hashed) and is
returned by `subscription_create` and `secret_rotate` and read by `secret_reveal`.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scoping
from events.models import EventType
from mail import crypto
from webhooks import selectors, targets
from webhooks.models import Subscription

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
URL_MAX_LENGTH = Subscription._meta.get_field("url").max_length
DESCRIPTION_MAX_LENGTH = Subscription._meta.get_field("description").max_length


def _new_secret():
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean_events(events):
    """The event types in EventType's order, each once; at least one, all known."""
    if isinstance(events, str) or not isinstance(events, list | tuple | set | frozenset):
        raise ValidationError({"events": _("Choose at least one event.")})
    chosen = {str(event) for event in events}
    unknown = sorted(chosen - set(EventType.values))
    if unknown:
        raise ValidationError(
            {"events": _("Unknown event: %(events)s.") % {"events": ", ".join(event[:40] for event in unknown[:5])}}
        )
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    return [value for value in EventType.values if value in chosen]


def _clean_url(url, *, allow_private):
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("Enter the address that receives the events.")})
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError(
            {"url": _("The address is longer than %(limit)s characters.") % {"limit": URL_MAX_LENGTH}}
        )
    try:
        targets.check_target(url, allow_private=allow_private)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from None
    return url


def _clean_description(description):
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {
                "description": _("The description is longer than %(limit)s characters.")
                % {"limit": DESCRIPTION_MAX_LENGTH}
            }
        )
    return description


def _require_admin_for_private(actor, allow_private_network):
    if allow_private_network and not scoping.is_admin(actor):
        raise PermissionDenied(_("Only an admin may allow a private network address."))


def subscription_create(*, actor, url, events, description="", allow_private_network=False, owner=None):
    """(the subscription, its signing secret in clear: shown to the caller once here)."""
    owner = owner or actor
    if owner.pk != actor.pk and not scoping.is_admin(actor):
        raise PermissionDenied(_("You may only subscribe for yourself."))
    _require_admin_for_private(actor, allow_private_network)
    errors = {}
    cleaned = {}
    for field, clean in (
        ("url", lambda: _clean_url(url, allow_private=bool(allow_private_network))),
        ("events", lambda: _clean_events(events)),
        ("description", lambda: _clean_description(description)),
    ):
        try:
            cleaned[field] = clean()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    secret = _new_secret()
    subscription = Subscription.objects.create(
        owner=owner,
        secret_encrypted=crypto.seal(secret),
        allow_private_network=bool(allow_private_network),
        **cleaned,
    )
    return subscription, secret


UNSET = object()


def subscription_update(
    *, actor, subscription_id, url=UNSET, events=UNSET, description=UNSET, allow_private_network=UNSET
):
    """Change what is given (the rest stays). The URL is checked again whenever it or the
    private-network allowance changes."""
    with transaction.atomic():
        subscription = selectors.subscription_get_for_user(user=actor, subscription_id=subscription_id)
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        is_admin = scoping.is_admin(actor)
        allow_private = subscription.allow_private_network
        if allow_private_network is not UNSET and bool(allow_private_network) != allow_private:
            if not is_admin:
                raise PermissionDenied(_("Only an admin may allow a private network address."))
            allow_private = bool(allow_private_network)
        new_url = subscription.url if url is UNSET else (url or "").strip()
        if new_url != subscription.url and not is_admin:
            allow_private = False  # the admin allowed the old address, not any
        errors = {}
        if new_url != subscription.url or allow_private != subscription.allow_private_network:
            try:
                subscription.url = _clean_url(new_url, allow_private=allow_private)
            except ValidationError as error:
                errors.update(error.message_dict)
        subscription.allow_private_network = allow_private
        if events is not UNSET:
            try:
                subscription.events = _clean_events(events)
            except ValidationError as error:
                errors.update(error.message_dict)
        if description is not UNSET:
            try:
                subscription.description = _clean_description(description)
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        subscription.save()
    return subscription


def subscription_delete(*, actor, subscription_id):
    """Delete the subscription with its delivery log (pending deliveries are not sent)."""
    subscription = selectors.subscription_get_for_user(user=actor, subscription_id=subscription_id)
    subscription.delete()


def subscription_enable(*, actor, subscription_id):
    """Deliver again after the subscription was disabled (24 hours of failures): active, and the
    failure clock starts afresh. The URL is checked again first (it may resolve elsewhere now);
    deliveries given up while it was disabled stay failed."""
    with transaction.atomic():
        subscription = selectors.subscription_get_for_user(user=actor, subscription_id=subscription_id)
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        _clean_url(subscription.url, allow_private=subscription.allow_private_network)
        subscription.is_active = True
        subscription.failing_since = None
        subscription.disabled_at = None
        subscription.disabled_reason = ""
        subscription.save(update_fields=["is_active", "failing_since", "disabled_at", "disabled_reason", "updated_at"])
    return subscription


def secret_rotate(*, actor, subscription_id):
    """A new signing secret, in force at once (the next delivery is signed with it); returns it."""
    with transaction.atomic():
        subscription = selectors.subscription_get_for_user(user=actor, subscription_id=subscription_id)
        secret = _new_secret()
        Subscription.objects.filter(pk=subscription.pk).update(
            secret_encrypted=crypto.seal(secret), updated_at=timezone.now()
        )
    return secret


def secret_reveal(*, actor, subscription_id):
    """The signing secret in clear, for its owner (or an admin) to copy into the receiver."""
    subscription = selectors.subscription_get_for_user(user=actor, subscription_id=subscription_id)
    return crypto.reveal(subscription.secret_encrypted)
