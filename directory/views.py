"""Thin views of the organization and contact pages: lists, the 360° page, create, edit,
delete into the trash and restore. Scoped reads come from directory.selectors, writes from
customers.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import selectors as customer_selectors
from customers import services
from customers.models import RESTORE_DAYS
from directory import activity_views, duplicates, filters, forms, selectors
from pipeline_crm import listcolumns
from timeline import selectors as timeline_selectors
from timeline import views as timeline_views

PAGE_SIZE = 50
# The columns a saved view may hide (the name column always shows).
ORGANIZATION_COLUMNS = [
    ("city", gettext_lazy("City")),
    ("region", gettext_lazy("Region")),
    ("industry", gettext_lazy("Industry")),
    ("open_deals", gettext_lazy("Open deals")),
    ("open_value", gettext_lazy("Open value")),
    ("last_activity", gettext_lazy("Last activity")),
    ("owner", gettext_lazy("Owner")),
]
CONTACT_COLUMNS = [
    ("organization", gettext_lazy("Organization")),
    ("job_title", gettext_lazy("Job title")),
    ("decision_role", gettext_lazy("Decision role")),
    ("open_deals", gettext_lazy("Open deals")),
    ("last_activity", gettext_lazy("Last activity")),
    ("owner", gettext_lazy("Owner")),
]


def list_context(request, filterset, rows, columns=()):
    """Page, filters and the query strings for paging and sorting links."""
    queryset = rows(filterset.qs) if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("o", None)
    return {
        "page": page,
        "filter": filterset,
        "querystring": params.urlencode(),
        "sort_querystring": sort_params.urlencode(),
        "current_sort": request.GET.get("o", ""),
        **listcolumns.context(request.GET, columns),
    }


def form_errors(error):
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@require_GET
def organization_list(request):
    """The organizations the user sees, filtered, sorted and paged; htmx gets the table only."""
    organizations = selectors.organization_rows(
        user=request.user, queryset=selectors.organization_list_for_user(user=request.user)
    )
    filterset = filters.OrganizationFilter(request.GET, queryset=organizations, user=request.user)
    context = list_context(request, filterset, lambda qs: qs.order_by(*_order(qs)), ORGANIZATION_COLUMNS)
    template = "directory/organization_list.html#table" if request.htmx else "directory/organization_list.html"
    return render(request, template, context)


def _order(queryset):
    """The filter's sort, then name and id, so that paging is stable."""
    return [*queryset.query.order_by, "name", "pk"] if queryset.query.order_by else ["name", "pk"]


@require_http_methods(["GET", "POST"])
def organization_create(request):
    """The new-organization form. Likely duplicates of what was typed (same name key, domain or
    VAT ID) come back first (409, the form as typed) with links and "Create anyway"."""
    form = forms.OrganizationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        if not request.POST.get("create_anyway"):
            found = duplicates.organization_duplicate_candidates(
                user=request.user,
                name=form.cleaned_data["name"],
                website=form.cleaned_data["website"],
                email_domain=form.cleaned_data["email_domain"],
                vat_id=form.cleaned_data["vat_id"],
            )
            if found:
                context = {"form": form, "duplicates": found}
                return render(request, "directory/organization_form.html", context, status=409)
        try:
            organization = services.organization_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, form_errors(error))
        else:
            messages.success(request, _("Organization %(name)s created.") % {"name": organization.name})
            return redirect("organizations:detail", organization.pk)
    status = 400 if form.errors else 200
    return render(request, "directory/organization_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def organization_edit(request, organization_id):
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    form = forms.OrganizationForm(request.POST or None, instance=organization, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(actor=request.user, organization=organization, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, form_errors(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("organizations:detail", organization.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "organization": organization}
    return render(request, "directory/organization_form.html", context, status=status)


@require_GET
def organization_detail(request, organization_id):
    """The 360° page: facts, figures, deals, leads, contacts, activities and the timeline."""
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    overview = selectors.organization_overview(user=request.user, organization=organization)
    context = {
        "organization": organization,
        "can_delete": services.can_delete(request.user, organization),
        "possible_duplicates": duplicates.organization_duplicate_candidates(
            user=request.user,
            name=organization.name,
            website=organization.website,
            email_domain=organization.email_domain,
            vat_id=organization.vat_id,
            exclude=[organization.pk],
        ).visible,
        "recent_merges": duplicates.recent_merges_into(organization),
        **overview,
        **activity_views.log_form_context(
            request, overview=overview, log_url=reverse("organizations:log_activity", args=[organization.pk])
        ),
        "page": timeline_selectors.organization_timeline(user=request.user, organization=organization),
        "timeline_url": reverse("organizations:timeline", args=[organization.pk]),
    }
    return render(request, "directory/organization_detail.html", context)


@require_GET
def organization_timeline(request, organization_id):
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    return timeline_views.timeline_response(
        request,
        read=lambda before: timeline_selectors.organization_timeline(
            user=request.user, organization=organization, before=before
        ),
        url=reverse("organizations:timeline", args=[organization.pk]),
        title=organization.name,
        back_url=reverse("organizations:detail", args=[organization.pk]),
    )


@require_http_methods(["GET", "POST"])
def organization_delete(request, organization_id):
    """GET: what deleting means (the trash, what blocks it); POST: into the trash."""
    organization = selectors.organization_get_for_user(user=request.user, organization_id=organization_id)
    error = None
    if request.method == "POST":
        try:
            services.organization_delete(actor=request.user, organization=organization)
        except ValidationError as refused:
            error = form_errors(refused)
        else:
            messages.success(
                request,
                _("%(name)s is in the trash. You can restore it for %(days)s days.")
                % {"name": organization.name, "days": RESTORE_DAYS},
            )
            return redirect("organizations:list")
    context = {
        "organization": organization,
        "error": error,
        **customer_selectors.deletion_preview(organization),
        "days": RESTORE_DAYS,
    }
    return render(request, "directory/organization_delete.html", context, status=400 if error else 200)


@require_GET
def organization_trash(request):
    page = Paginator(selectors.organization_trash_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "directory/organization_trash.html", {"page": page, "days": RESTORE_DAYS})


@require_POST
def organization_restore(request, organization_id):
    organization = selectors.organization_trashed_get_for_user(user=request.user, organization_id=organization_id)
    try:
        services.organization_restore(actor=request.user, organization=organization)
    except ValidationError as refused:
        messages.error(request, form_errors(refused))
        return redirect("organizations:trash")
    messages.success(request, _("%(name)s is restored.") % {"name": organization.name})
    return redirect("organizations:detail", organization.pk)


@require_GET
def organization_suggest(request):
    """`<option>`s for the contact form's organization field: names the user sees (`q`, or the
    field's own value when htmx sends the input)."""
    text = request.GET.get("q") or request.GET.get("organization", "")
    names = selectors.organization_suggestions(user=request.user, text=text)
    return render(request, "directory/_organization_suggestions.html", {"names": names})
