"""Thin views of the timelines and of the organization page.

The deal and lead pages load their timeline into a frame with htmx (like the activities
panel: a higher app renders into a lower app's page); the frame's link and every "Older
entries" link also work as plain pages without JavaScript.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from deals import selectors as deal_selectors
from leads import selectors as lead_selectors
from timeline import selectors


def _cursor(request):
    """The `before` cursor, or None; ValueError for junk (the views answer 400)."""
    return selectors.cursor_decode(request.GET.get("before", ""))


def _bad_cursor():
    return HttpResponse(
        _("This link to older entries is broken."), status=400, content_type="text/plain; charset=utf-8"
    )


def _render(request, *, page, url, title, back_url, first):
    """htmx: the first page as the panel body, later pages as list items to append;
    without htmx: a page of its own with a link to the older entries."""
    context = {"page": page, "timeline_url": url, "title": title, "back_url": back_url}
    if request.htmx:
        return render(request, "timeline/timeline.html#panel" if first else "timeline/timeline.html#items", context)
    return render(request, "timeline/timeline_page.html", context)


@require_GET
def deal_timeline(request, deal_id):
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    try:
        cursor = _cursor(request)
    except ValueError:
        return _bad_cursor()
    page = selectors.deal_timeline(deal=deal, before=cursor)
    url = reverse("timeline:deal", args=[deal.pk])
    back_url = reverse("deals:detail", args=[deal.pk])
    return _render(request, page=page, url=url, title=deal.title, back_url=back_url, first=cursor is None)


@require_GET
def lead_timeline(request, lead_id):
    lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    try:
        cursor = _cursor(request)
    except ValueError:
        return _bad_cursor()
    page = selectors.lead_timeline(lead=lead, before=cursor)
    url = reverse("timeline:lead", args=[lead.pk])
    back_url = reverse("leads:detail", args=[lead.pk])
    return _render(request, page=page, url=url, title=str(lead), back_url=back_url, first=cursor is None)


@require_GET
def organization_timeline(request, organization_id):
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    try:
        cursor = _cursor(request)
    except ValueError:
        return _bad_cursor()
    page = selectors.organization_timeline(user=request.user, organization=organization, before=cursor)
    url = reverse("organizations:timeline", args=[organization.pk])
    back_url = reverse("organizations:detail", args=[organization.pk])
    return _render(request, page=page, url=url, title=organization.name, back_url=back_url, first=cursor is None)


@require_GET
def organization_detail(request, organization_id):
    """The organization: facts, its deals and leads as the user sees them, its contacts and
    the first page of its timeline."""
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    context = {
        "organization": organization,
        **selectors.organization_overview(user=request.user, organization=organization),
        "page": selectors.organization_timeline(user=request.user, organization=organization),
        "timeline_url": reverse("organizations:timeline", args=[organization.pk]),
    }
    return render(request, "timeline/organization_detail.html", context)
