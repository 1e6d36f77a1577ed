"""The calendar page, its JSON events, rescheduling by drag and drop, and the calendar feed
(its management on the preferences page and the public .ics address)."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from activities import calendar, ics, services

# The calendar library writes its styles into one <style> element at run time, and its arrow
# icons are a font inside those styles (a data: URL): this page (only) allows a style element
# that carries the request's nonce and fonts from data: URLs (docs/security.md).
CALENDAR_CSP = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.NONCE], "font-src": [CSP.SELF, "data:"]}
VIEWS = {"week": "timeGridWeek", "month": "dayGridMonth"}


def _scope(request):
    return calendar.TEAM if request.GET.get("scope") == calendar.TEAM else calendar.MINE


@require_GET
@csp_override(CALENDAR_CSP)
def calendar_page(request):
    scope = _scope(request)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "week"
    day = request.GET.get("date", "")
    try:
        initial_date = date.fromisoformat(day).isoformat() if day else ""
    except ValueError:
        initial_date = ""  # a link with a broken date opens today
    language = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        "scope": scope,
        "view": view,
        "initial_view": VIEWS[view],
        "initial_date": initial_date,
        "fc_locale": "de" if language.startswith("de") else "en-gb",
        "time_zone": str(services.user_time_zone(request.user)),
        "scroll_time": request.user.workday_start.strftime("%H:%M:%S"),
    }
    template = "activities/calendar.html#calendar" if request.htmx else "activities/calendar.html"
    return render(request, template, context)


@require_GET
def calendar_events(request):
    """The events of [start, end) as FullCalendar's JSON: two queries (the session's user and
    the activities) whatever the number of activities."""
    tz = services.user_time_zone(request.user)
    try:
        start, end = calendar.calendar_range(start=request.GET.get("start"), end=request.GET.get("end"), tz=tz)
    except calendar.CalendarError as error:
        return JsonResponse({"error": str(error)}, status=400)
    scope = _scope(request)
    now = timezone.now()
    activities = calendar.calendar_activities(user=request.user, scope=scope, start=start, end=end)
    events = [calendar.calendar_event(a, tz=tz, scope=scope, now=now) for a in activities]
    return JsonResponse(events, safe=False)


@require_POST
def calendar_reschedule(request, activity_id):
    """POST start (a date or a wall-clock time of the user's zone), all_day ("true"/"false",
    optional) and version: 200 with the event, 400 bad input, 403 / 404 (DESIGN §5), 409 stale."""
    all_day = {"true": True, "false": False}.get(request.POST.get("all_day", "").lower())
    try:
        activity = calendar.activity_reschedule(
            user=request.user,
            activity_id=activity_id,
            start=request.POST.get("start"),
            all_day=all_day,
            version=request.POST.get("version") or None,
        )
    except PermissionDenied:
        return JsonResponse({"error": _("You may not change this activity.")}, status=403)
    except Http404:
        return JsonResponse({"error": _("No such activity.")}, status=404)
    except calendar.StaleActivity as error:
        return JsonResponse({"error": str(error)}, status=409)
    except calendar.CalendarError as error:
        return JsonResponse({"error": str(error)}, status=400)
    activity = calendar.calendar_activities_one(user=request.user, activity_id=activity.pk)
    tz = services.user_time_zone(request.user)
    return JsonResponse(calendar.calendar_event(activity, tz=tz, scope=calendar.MINE, now=timezone.now()))


@require_POST
def calendar_feed(request):
    """Create or replace (action=regenerate) or revoke (action=revoke) the user's feed address;
    answers the preferences page's "Calendar feed" block (htmx) or redirects to the page."""
    action = request.POST.get("action")
    if action == "regenerate":
        calendar.calendar_feed_regenerate(user=request.user)
        message = _("Your calendar feed has a new address. Subscribed calendars need the new one.")
    elif action == "revoke":
        calendar.calendar_feed_revoke(user=request.user)
        message = _("Your calendar feed is switched off; its address no longer answers.")
    else:
        return HttpResponse(_("Choose to create, replace or switch off the feed."), status=400)
    if not request.htmx:
        messages.success(request, message)
        return redirect("accounts:preferences")
    return render(request, "activities/_calendar_feed.html", {"feed_message": message})


@login_not_required
@require_GET
def calendar_feed_ics(request, token):
    """The public feed: the key is the only credential; an unknown or revoked key is 404."""
    user = ics.feed_user(token)
    if user is None:
        raise Http404("No such calendar.")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = ics.feed_calendar(user=user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="activities.ics"'
    # The address is the secret: no shared cache may keep it, nor a Referer carry it.
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
