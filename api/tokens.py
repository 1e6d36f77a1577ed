"""Personal access tokens: create (the token is returned once), find by the presented token,
revoke. A token is `pcrm_` + 8 characters of prefix + `_` + 32 of secret (URL-safe). It has
~190 bits of randomness, so a plain SHA-256 is the right hash: a slow password hash would add
nothing against guessing and cost every request."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scoping
from api.models import ApiToken

PREFIX = "pcrm_"
# At most this often is `last_used_at` written for one token (a write per request would make
# every read a write).
LAST_USED_RESOLUTION_SECONDS = 60


def _hash(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user, name, scope=ApiToken.Scope.READ, expires_at=None):
    """(the token, the raw token string to show once)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": _("Choose read or read and write.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    while True:
        prefix = secrets.token_urlsafe(6)[:8].replace("-", "x").replace("_", "y")
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    raw = f"{PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, key_hash=_hash(raw), scope=scope, expires_at=expires_at
    )
    return token, raw


def token_for_key(raw):
    """The usable token presented as `raw` (with its user), or None: unknown, revoked, expired,
    or its user inactive. Records the use (at most once a minute)."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user", "user__team").filter(key_hash=_hash(raw)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, actor, token_id):
    """Revoke one of the actor's tokens (an admin may revoke anyone's). Revoking twice is a no-op."""
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and not scoping.is_admin(actor)):
        raise PermissionDenied(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def tokens_for_user(*, user):
    return ApiToken.objects.filter(user=user)


def token_for_actor(*, actor, token_id):
    """The token `token_id` if it is the actor's own, or any token for an admin; else None."""
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and not scoping.is_admin(actor)):
        return None
    return token


def all_tokens():
    """Every user's tokens (the admins' overview), newest first."""
    return ApiToken.objects.select_related("user")
