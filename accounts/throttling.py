"""Login throttling with django-axes: the lockout message and response.

Axes counts failed logins in the database (AccessAttempt) per user name and per client IP
(settings AXES_*). When a login is refused because of a lockout, the login form shows
`lockout_message()` (accounts.forms.LockoutAwareMixin) and `lockout_response` — axes'
AXES_LOCKOUT_CALLABLE, run by its middleware — keeps that re-rendered form as the response,
with status 429, instead of axes' plain-text page.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import ngettext


def cooloff_minutes():
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message():
    minutes = cooloff_minutes()
    return ngettext(
        "Too many failed login attempts for this user name or from your network. Logging in is "
        "blocked for %(minutes)d minute, even with the right password. Wait, reset your password, "
        "or ask an administrator to unlock the account.",
        "Too many failed login attempts for this user name or from your network. Logging in is "
        "blocked for %(minutes)d minutes, even with the right password. Wait, reset your password, "
        "or ask an administrator to unlock the account.",
        minutes,
    ) % {"minutes": minutes}


def is_locked_out(request):
    """True when axes refused or locked out this request's login attempt."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request, original_response, credentials):
    """The response for a locked-out login: the login page the view rendered, as 429.

    Our login form and the admin's put `lockout_message()` on the form themselves; anything
    else that logs in (no HTML page to keep) gets the message as plain text.
    """
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if original_response is not None and original_response.get("Content-Type", "").startswith("text/html"):
        original_response.status_code = 429
        original_response.reason_phrase = "Too Many Requests"
        original_response["Retry-After"] = retry_after
        return original_response
    response = HttpResponse(lockout_message(), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry_after
    return response
