"""Thin views of the timelines (the organization page and its timeline are in directory).

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


def timeline_response(request, *, read, url, title, back_url):
    """One page of a timeline: `read(before=cursor)` gives the page. htmx: the first page as
    the panel body, later pages as list items to append; without htmx: a page of its own with
    a link to the older entries. A broken cursor answers 400."""
    try:
        cursor = selectors.cursor_decode(request.GET.get("before", ""))
    except ValueError:
        return HttpResponse(
            _("This link to older entries is broken."), status=400, content_type="text/plain; charset=utf-8"
        )
    context = {"page": read(before=cursor), "timeline_url": url, "title": title, "back_url": back_url}
    if request.htmx:
        partial = "panel" if cursor is None else "items"
        return render(request, f"timeline/timeline.html#{partial}", context)
    return render(request, "timeline/timeline_page.html", context)


@require_GET
def deal_timeline(request, deal_id):
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    return timeline_response(
        request,
        read=lambda before: selectors.deal_timeline(user=request.user, deal=deal, before=before),
        url=reverse("timeline:deal", args=[deal.pk]),
        title=deal.title,
        back_url=reverse("deals:detail", args=[deal.pk]),
    )


@require_GET
def lead_timeline(request, lead_id):
    lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    return timeline_response(
        request,
        read=lambda before: selectors.lead_timeline(user=request.user, lead=lead, before=before),
        url=reverse("timeline:lead", args=[lead.pk]),
        title=str(lead),
        back_url=reverse("leads:detail", args=[lead.pk]),
    )
