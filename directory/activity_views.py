"""Log a call, meeting or note from the organization and contact 360° pages.

Thin views: the record is scoped by the directory selectors (out of scope → 404); the deal or
lead must be one of the record's open ones the user may change (else 400 with a message); the
write is the activities app's own service, so the activity shows on the deal's or lead's page
and timeline like any other.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activities import services as activity_services
from directory import forms, selectors


def log_form_context(request, *, overview, log_url, form=None):
    """The log form of a 360° page (None when the record has no open deal or lead the user may
    change) and where it posts to."""
    deals, leads = selectors.log_targets(user=request.user, open_deals=overview["open_deals"], leads=overview["leads"])
    if form is None and (deals or leads):
        form = forms.LogActivityForm(user=request.user, deals=deals, leads=leads)
    return {"log_form": form, "log_url": log_url}


def _log(request, *, prefix, read_overview, log_url, back_url):
    """`read_overview()` reads the record's deals, leads and activities (again after the write)."""
    overview = read_overview()
    deals, leads = selectors.log_targets(user=request.user, open_deals=overview["open_deals"], leads=overview["leads"])
    form = forms.LogActivityForm(request.POST, user=request.user, deals=deals, leads=leads)
    if form.is_valid():
        data = form.cleaned_data
        parent_kind, parent = data["target"]
        done_now = data["when"] == form.DONE
        parents = {"deal": parent if parent_kind == "deal" else None, "lead": parent if parent_kind == "lead" else None}
        if done_now:
            # The done call or meeting, its outcome and its next step (the follow-up): one transaction.
            activity_services.activity_log_done(
                actor=request.user,
                kind=data["kind"],
                subject=data["subject"],
                outcome=data["outcome"],
                note=data["note"],
                assignee=data["assignee"],
                next_subject=data["next_subject"],
                next_due_at=data["next_due_at"],
                **parents,
            )
        else:
            activity_services.activity_create(
                actor=request.user,
                kind=data["kind"],
                subject=data["subject"],
                due_at=data["due_at"],
                all_day=data["all_day"],
                note=data["note"],
                assignee=data["assignee"],
                remind_before_minutes=data["remind_before_minutes"],
                **parents,
            )
        if not request.htmx:
            messages.success(request, _("Activity logged."))
            return redirect(back_url)
        form = None
        overview = read_overview()
        status = 200
    else:
        status = 400
        if not request.htmx:
            messages.error(request, _("The activity was not logged: please correct the form."))
    context = {
        "prefix": prefix,
        "planned": overview["planned"],
        "done": overview["done"],
        "back_url": back_url,
        **log_form_context(request, overview=overview, log_url=log_url, form=form),
    }
    template = "directory/_activity_section.html" if request.htmx else "directory/log_activity.html"
    return render(request, template, context, status=status)


@require_POST
def organization_log_activity(request, organization_id):
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    return _log(
        request,
        prefix="organization",
        read_overview=lambda: selectors.organization_overview(user=request.user, organization=organization),
        log_url=reverse("organizations:log_activity", args=[organization.pk]),
        back_url=reverse("organizations:detail", args=[organization.pk]),
    )


@require_POST
def contact_log_activity(request, contact_id):
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    return _log(
        request,
        prefix="contact",
        read_overview=lambda: selectors.contact_overview(user=request.user, contact=contact),
        log_url=reverse("contacts:log_activity", args=[contact.pk]),
        back_url=reverse("contacts:detail", args=[contact.pk]),
    )
