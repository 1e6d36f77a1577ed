"""Every error the API answers is an RFC 9457 problem (`application/problem+json`):

    {"type": "…", "title": "…", "status": 409, "detail": "…", "errors": [{"field": …, "message": …}], …}

`type` is "about:blank" (the status says it all) or one of the documented problem types
(docs/api.md). The apps' own exceptions reach here unchanged from their services: an
exception class is registered with the status it means, or carries `status` itself (deals'
DealError). Bad input is never a 500.
"""

import json

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from api import authentication

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/problems/"  # relative references (RFC 9457 section 3.1.1), listed in docs/api.md

_registry = {}


def problem(status, detail="", *, type="about:blank", title="", errors=None, headers=None, **extra):
    body = {"type": type, "title": title or _status_title(status), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _status_title(status):
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def register(exc_class, status, *, type="about:blank", members=None):
    """Answer `exc_class` with `status`; `members(exc)` adds members to the problem."""
    _registry[exc_class] = (status, type, members)


def field_errors_from_django(error):
    """[{"field", "message"}] from a Django ValidationError (or a form's errors dict)."""
    if isinstance(error, DjangoValidationError):
        items = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    else:
        items = error.items()
    return [
        {"field": None if name in (None, "__all__") else name, "message": str(message)}
        for name, messages in items
        for message in messages
    ]


def _location(loc):
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "filters")]
    return ".".join(parts) or None


def _validation(request, exc):
    errors = [{"field": _location(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors]
    return problem(
        422, _("The request is not valid."), type=TYPE_BASE + "validation", title="Validation failed", errors=errors
    )


def _django_validation(request, exc):
    return problem(
        422,
        _("The request is not valid."),
        type=TYPE_BASE + "validation",
        title="Validation failed",
        errors=field_errors_from_django(exc),
    )


def _not_found(request, exc):
    return problem(404, _("Not found."))


def _forbidden(request, exc):
    return problem(403, str(exc) or _("You may not do this."))


def _unauthenticated(request, exc):
    return problem(
        401,
        _("Send a valid token (Authorization: Bearer …) or sign in."),
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _throttled(request, exc):
    wait = max(1, round(exc.wait or 1))
    return problem(
        429,
        _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": wait},
        type=TYPE_BASE + "rate-limited",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )


def _http_error(request, exc):
    return problem(exc.status_code, str(exc.message if hasattr(exc, "message") else exc))


def _registered(request, exc):
    for cls in type(exc).__mro__:
        if cls in _registry:
            status, type_, add_members = _registry[cls]
            more = add_members(exc) if add_members else {}
            return problem(getattr(exc, "status", status), getattr(exc, "message", str(exc)), type=type_, **more)
    raise exc


def _register_app_errors():
    """The apps' service exceptions the API answers as they are (status from the class)."""
    from deals.conversion import ConversionError
    from deals.services import DealError, DealStale
    from leads.services import LeadError

    register(DealError, 400)
    register(LeadError, 400)
    register(ConversionError, 409, type=TYPE_BASE + "refused")
    register(
        DealStale,
        409,
        type=TYPE_BASE + "stale-version",
        members=lambda exc: {"current_version": _current_deal_version(exc)},
    )
    _register_activity_and_quote_errors()


def _register_activity_and_quote_errors():
    from activities.calendar import CalendarError, StaleActivity
    from activities.services import ActivityError
    from quotes.errors import QuoteError

    register(ActivityError, 400)
    register(CalendarError, 400)
    register(
        StaleActivity,
        409,
        type=TYPE_BASE + "stale-version",
        members=lambda exc: {"current_version": _current_activity_version(exc)},
    )
    register(QuoteError, 400)  # QuoteForbidden 403 and QuoteConflict 409 carry their status


def _current_activity_version(exc):
    from activities.calendar import activity_version
    from activities.models import Activity

    activity = Activity.objects.filter(pk=getattr(exc, "activity_id", None)).only("updated_at").first()
    return activity_version(activity) if activity is not None else None


def _current_deal_version(exc):
    from deals.models import Deal

    if exc.deal is None:
        return None
    return Deal.objects.filter(pk=exc.deal.pk).values_list("version", flat=True).first()


def install(api):
    _register_app_errors()
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(DjangoValidationError, _django_validation)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _forbidden)
    api.add_exception_handler(AuthorizationError, _forbidden)
    api.add_exception_handler(authentication.WriteScopeDenied, _forbidden)
    api.add_exception_handler(authentication.CsrfFailed, _forbidden)
    api.add_exception_handler(AuthenticationError, _unauthenticated)
    api.add_exception_handler(Throttled, _throttled)
    api.add_exception_handler(HttpError, _http_error)
    for exc_class in _registry:
        api.add_exception_handler(exc_class, _registered)
