"""Who is calling the API: a personal access token (`Authorization: Bearer pcrm_…`) or the
signed-in session of the app's own pages (with Django's CSRF check for unsafe methods).

The identity is worked out once per request and kept on it, because the idempotency layer
needs it before the operation runs and the operation's auth needs it again. A request that
names a token is judged by the token alone: a bad token is a 401 even with a session cookie.

Once known, the identity becomes the audit context's actor, with the token in the entry's
extra data, so a change made through the API is recorded as "API" with the token's name.
"""

from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accounts import localization
from api import tokens
from api.models import ApiToken
from audit import context

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Identity:
    user: object
    token: ApiToken | None = None

    @property
    def can_write(self):
        return self.token is None or self.token.can_write

    @property
    def rate_key(self):
        return f"token-{self.token.prefix}" if self.token else f"user-{self.user.pk}"


def bearer_key(request):
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def identify(request):
    """The request's Identity, or None. Memoised on the request."""
    if hasattr(request, "_api_identity"):
        return request._api_identity
    identity = None
    raw = bearer_key(request)
    if raw is not None:
        token = tokens.token_for_key(raw)
        if token is not None:
            identity = Identity(user=token.user, token=token)
            request.user = token.user
    else:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            identity = Identity(user=user)
    request._api_identity = identity
    if identity is not None:
        # The user's time zone ("today" in filters) and language (messages), as the pages get
        # them from UserLocaleMiddleware, which skips the API's views (they need no login page).
        timezone.activate(localization.user_time_zone(identity.user))
        language = localization.supported_language(identity.user.language)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        extra = {"token": identity.token.prefix, "token_name": identity.token.name} if identity.token else {}
        context.replace_current(source=context.Source.API, actor=identity.user, extra=extra)
    return identity


class WriteScopeDenied(Exception):
    """A read-only token tried to change something."""


def _check_scope(request, identity):
    if request.method not in SAFE_METHODS and not identity.can_write:
        raise WriteScopeDenied(_("This token may only read. Create a token with the write scope to change data."))
    return identity


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pcrm_…`: a personal access token from the preferences."""

    openapi_scheme = "bearer"

    def __call__(self, request):
        if bearer_key(request) is None:
            return None
        identity = identify(request)
        return _check_scope(request, identity) if identity else None

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None


class SessionAuth(APIKeyCookie):
    """The signed-in session (the app's own JavaScript); unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def _get_key(self, request):
        return None

    def __call__(self, request):
        if bearer_key(request) is not None:
            return None
        identity = identify(request)
        if identity is None:
            return None
        if request.method not in SAFE_METHODS:
            error = check_csrf(request)
            if error:
                raise CsrfFailed(_("CSRF check failed: send the csrftoken cookie's value in X-CSRFToken."))
        return identity

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


class CsrfFailed(Exception):
    pass


AUTH = [TokenAuth(), SessionAuth()]
