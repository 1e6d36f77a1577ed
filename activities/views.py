"""Thin views: authorise and scope, parse input, call one service or selector, render.

Out of scope → 404 (selectors); visible but not changeable → 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts import scoping
from activities import selectors, services
from activities.forms import ActivityForm, LogDoneForm
from deals import selectors as deal_selectors
from leads import selectors as lead_selectors

ACTIVITIES_CHANGED = "activities-changed"


# --- My activities --------------------------------------------------------------------------


@require_GET
def activity_list(request):
    filterset, sections = selectors.my_activities(user=request.user, data=request.GET)
    titles = {"overdue": _("Overdue"), "today": _("Today"), "upcoming": _("Upcoming"), "done": _("Done")}
    for items in sections.values():
        for activity in items:
            activity.can_change = selectors.activity_can_change(user=request.user, activity=activity)
    context = {"filter": filterset, "sections": [(key, titles[key], items) for key, items in sections.items()]}
    template = "activities/activity_list.html#sections" if request.htmx else "activities/activity_list.html"
    return render(request, template, context)


# --- the panels on the deal and lead pages --------------------------------------------------


def _panel_context(request, *, deal=None, lead=None, form=None, done_form=None):
    parent = deal or lead
    can_change = scoping.can_change_owned(request.user, parent.owner)
    activities = (
        selectors.activities_of_deal(deal=deal) if deal is not None else selectors.activities_of_lead(lead=lead)
    )
    for activity in activities:
        activity.can_change = can_change or activity.assignee_id == request.user.pk
    return {
        "deal": deal,
        "lead": lead,
        "activities": activities,
        "can_change": can_change,
        "form": form or (ActivityForm(user=request.user) if can_change else None),
        "done_form": done_form or (LogDoneForm() if can_change else None),
    }


def _panel(request, *, deal=None, lead=None):
    parent = deal or lead
    form = None
    if request.method == "POST":
        if not scoping.can_change_owned(request.user, parent.owner):
            raise PermissionDenied
        form = ActivityForm(request.POST, user=request.user)
        if form.is_valid():
            services.activity_create(actor=request.user, deal=deal, lead=lead, **form.activity_fields())
            if not request.htmx:
                return redirect(
                    selectors.parent_url(deal_id=deal.pk if deal else None, lead_id=lead.pk if lead else None)
                )
            form = None
    # An invalid form re-renders with its messages (200: htmx swaps only successful responses).
    template = "activities/panel.html#panel" if request.htmx else "activities/panel_page.html"
    response = render(request, template, _panel_context(request, deal=deal, lead=lead, form=form))
    if request.method == "POST" and form is None:
        trigger_client_event(response, ACTIVITIES_CHANGED)
    return response


def deal_panel(request, deal_id):
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    return _panel(request, deal=deal)


def lead_panel(request, lead_id):
    lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    return _panel(request, lead=lead)


def _log_done(request, *, deal=None, lead=None):
    """Log a done call or meeting with its outcome and optional next step (one transaction).
    Bad input: the panel with the form's messages, 400 (swapped by static/js/log_activity.js)."""
    parent = deal or lead
    if not scoping.can_change_owned(request.user, parent.owner):
        raise PermissionDenied
    form = LogDoneForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_log_done(
                actor=request.user,
                kind=data["kind"],
                subject=data["subject"],
                outcome=data["outcome"],
                note=data["note"],
                deal=deal,
                lead=lead,
                next_subject=data["next_subject"],
                next_due_at=data["next_due_at"],
            )
        except services.ActivityError as error:
            form.add_error(None, str(error))
        else:
            if not request.htmx:
                return redirect(
                    selectors.parent_url(deal_id=deal.pk if deal else None, lead_id=lead.pk if lead else None)
                )
            form, status = None, 200
    template = "activities/panel.html#panel" if request.htmx else "activities/panel_page.html"
    response = render(request, template, _panel_context(request, deal=deal, lead=lead, done_form=form), status=status)
    if form is None:
        trigger_client_event(response, ACTIVITIES_CHANGED)
    return response


@require_POST
def deal_log_done(request, deal_id):
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    return _log_done(request, deal=deal)


@require_POST
def lead_log_done(request, lead_id):
    lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    return _log_done(request, lead=lead)


# --- one activity: show, edit / reschedule, done, reopen ------------------------------------


def _changeable_activity(request, activity_id):
    activity = selectors.activity_get_for_user(user=request.user, activity_id=activity_id)
    if not selectors.activity_can_change(user=request.user, activity=activity):
        raise PermissionDenied
    return activity


def _render_item(request, activity_id, *, changed=False):
    activity = selectors.activity_get_for_user(user=request.user, activity_id=activity_id)
    activity.can_change = selectors.activity_can_change(user=request.user, activity=activity)
    if not request.htmx:
        if _show_parent(request):
            return redirect("activities:list")
        return redirect(selectors.parent_url(deal_id=activity.deal_id, lead_id=activity.lead_id))
    response = render(
        request, "activities/panel.html#item", {"activity": activity, "show_parent": _show_parent(request)}
    )
    if changed:
        trigger_client_event(response, ACTIVITIES_CHANGED)
    return response


def _show_parent(request):
    """Rows on "My activities" name their deal or lead; rows in a panel do not."""
    return request.GET.get("in") == "list" or request.POST.get("in") == "list"


@require_GET
def activity_item(request, activity_id):
    # Without htmx (the edit form's "Cancel" link) this goes back to the deal, lead or list.
    return _render_item(request, activity_id)


def activity_edit(request, activity_id):
    activity = _changeable_activity(request, activity_id)
    form = ActivityForm(request.POST if request.method == "POST" else None, instance=activity, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {
            name: form.cleaned_data[name]
            for name in ("kind", "subject", "due_at", "all_day", "remind_before_minutes", "note")
        }
        if form.cleaned_data["assignee"] is not None:
            fields["assignee"] = form.cleaned_data["assignee"]
        services.activity_update(activity_id=activity.pk, actor=request.user, **fields)
        return _render_item(request, activity.pk, changed=True)
    template = "activities/panel.html#edit" if request.htmx else "activities/panel_page.html"
    return render(
        request,
        template,
        {
            "activity": activity,
            "form": form,
            "show_parent": _show_parent(request),
            "editing": True,
            "deal": activity.deal,
            "lead": activity.lead,
        },
    )


@require_POST
def activity_done(request, activity_id):
    activity = _changeable_activity(request, activity_id)
    services.activity_complete(activity_id=activity.pk, actor=request.user)
    return _render_item(request, activity.pk, changed=True)


@require_POST
def activity_postpone(request, activity_id):
    activity = _changeable_activity(request, activity_id)
    services.activity_postpone_to_tomorrow(activity_id=activity.pk, actor=request.user)
    return _render_item(request, activity.pk, changed=True)


@require_POST
def activity_reopen(request, activity_id):
    activity = _changeable_activity(request, activity_id)
    services.activity_reopen(activity_id=activity.pk, actor=request.user)
    return _render_item(request, activity.pk, changed=True)


# --- notifications --------------------------------------------------------------------------


@require_GET
def notification_list(request):
    notifications = selectors.notification_list_for_user(user=request.user)
    template = "activities/notification_list.html#list" if request.htmx else "activities/notification_list.html"
    return render(request, template, {"notifications": notifications})


@require_GET
def notification_badge(request):
    count = selectors.notification_unread_count(user=request.user)
    return render(request, "activities/_notification_badge.html#badge", {"unread_count": count})


@require_POST
def notification_read(request, notification_id):
    notification = selectors.notification_get_for_user(user=request.user, notification_id=notification_id)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    return _after_notification_change(request)


@require_POST
def notification_read_all(request):
    services.notification_mark_all_read(user=request.user)
    return _after_notification_change(request)


def _after_notification_change(request):
    if not request.htmx:
        return redirect("activities:notifications")
    response = render(
        request,
        "activities/notification_list.html#list",
        {"notifications": selectors.notification_list_for_user(user=request.user)},
    )
    return trigger_client_event(response, "notifications-changed")


@require_POST
def notification_open(request, notification_id):
    """Mark read and go to the deal, lead or page the notification is about."""
    notification = selectors.notification_get_for_user(user=request.user, notification_id=notification_id)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    target = selectors.notification_target_url(notification)
    if target:
        return redirect(target)
    return redirect("activities:notifications")
