"""The public tracking answers (docs/nurturing.md, "Tracking, honestly"): no login, the signed
token is the only key.

- `/t/c/<token>/` — a tracked link: records the request and redirects (302) to the target stored
  in the TrackedLink row. A token we did not sign, or a row that is gone, gets a 404 page that
  names no target: never a redirect, so the link cannot be made into an open redirect. The stored
  target is checked again before redirecting. HEAD is answered like GET but recorded as filtered.
- `/t/o/<token>.gif` — the open pixel: a 1×1 transparent GIF, never cached.
"""

import base64

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from nurturing import tracking, tracking_services

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    return response


def _not_found(request):
    return _private(render(request, "nurturing/link_not_found.html", status=404))


def _user_agent(request):
    return request.META.get("HTTP_USER_AGENT", "")


@login_not_required
@require_http_methods(["GET", "HEAD"])
def click(request, token):
    link_id = tracking.link_id_from_token(token)
    link = tracking_services.link_for_click(link_id) if link_id is not None else None
    if link is None or not tracking.safe_target(link.url):
        return _not_found(request)
    tracking_services.click_record(link=link, method=request.method, user_agent=_user_agent(request))
    return _private(HttpResponseRedirect(link.url))


@login_not_required
@require_http_methods(["GET", "HEAD"])
def open_pixel(request, token):
    send_token = tracking.send_token_from_open_token(token)
    send = tracking_services.send_for_open(send_token) if send_token else None
    if send is None:
        return _private(HttpResponse(PIXEL, content_type="image/gif", status=404))
    tracking_services.open_record(send=send, method=request.method, user_agent=_user_agent(request))
    return _private(HttpResponse(PIXEL, content_type="image/gif"))
