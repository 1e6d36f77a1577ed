"""Writes of the accounts app: password-reset requests and their e-mails, login lockouts."""

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation
from django.utils.translation import ngettext


def rate_limit_key(scope, identity):
    """The cache key of a counter; the identity is hashed, so no address or IP appears in it."""
    return f"accounts:{scope}:{hashlib.sha256(identity.encode()).hexdigest()[:32]}"


def over_limit(scope, identity, *, limit, window):
    """Count one event for `identity` in the shared cache; True when over `limit` per `window` s.

    cache.add and cache.incr are atomic on Redis: every web process sees one counter.
    """
    key = rate_limit_key(scope, identity)
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def limit_exceeded(scope, identity, *, limit):
    """True when `identity` has counted more than `limit` events of `scope` in the current
    window (see over_limit); counts nothing."""
    return (cache.get(rate_limit_key(scope, identity)) or 0) > limit


def password_reset_refusal(*, client_ip, email):
    """None when a reset e-mail may be requested now, else the message explaining the refusal.

    Counted per client IP first, then per submitted address (lower-cased), whether or not an
    account has that address: the answer reveals nothing about which addresses exist.
    """
    window = settings.CRM_PASSWORD_RESET_WINDOW
    refused = over_limit(
        "password-reset-ip", client_ip or "unknown", limit=settings.CRM_PASSWORD_RESET_MAX_PER_IP, window=window
    ) or over_limit(
        "password-reset-address",
        email.strip().lower(),
        limit=settings.CRM_PASSWORD_RESET_MAX_PER_ADDRESS,
        window=window,
    )
    if not refused:
        return None
    minutes = max(1, window // 60)
    return ngettext(
        "Too many password reset requests. Please try again in %(minutes)d minute.",
        "Too many password reset requests. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def password_reset_request(*, email, language):
    """Have the worker e-mail a reset link to the active accounts with this address, if any.

    The request does the same work whether or not the address exists — it enqueues one task —
    so neither the answer nor its timing tells which addresses have an account. The task
    expires with the links it would send.
    """
    from accounts import tasks

    transaction.on_commit(
        lambda: tasks.send_password_reset_email.apply_async(
            kwargs={"email": email, "language": language}, expires=settings.PASSWORD_RESET_TIMEOUT
        )
    )


def password_reset_email_send(*, email, language):
    """Send the reset e-mail (Django's token and form) in `language` to each active account with `email`.

    The link is absolute, built from CRM_BASE_URL. An SMTP failure raises, so the task retries.
    """
    from accounts.forms import PasswordResetEmailForm

    form = PasswordResetEmailForm(data={"email": email})
    if not form.is_valid():
        return
    base_url = settings.CRM_BASE_URL.rstrip("/")
    parts = urlsplit(base_url)
    with translation.override(language):
        form.save(
            domain_override=parts.netloc,
            use_https=parts.scheme == "https",
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.txt",
            extra_email_context={
                "base_url": base_url,
                "valid_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
            },
        )


def login_lockout_clear(*, username):
    """Forget the failed logins counted for `username` (after its password was reset by e-mail).

    Failures the same clients made against other user names still count for their IPs.
    """
    from axes.utils import reset

    return reset(username=username)


def user_language_set(*, user, language):
    """Store the user's language ("" = follow the browser); the middleware activates it from the
    next request on. Returns False (and stores nothing) for a language the installation lacks."""
    from accounts.models import User

    if language and language not in dict(settings.LANGUAGES):
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True
