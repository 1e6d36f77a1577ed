"""Thin views of the contact pages: the list, create and edit (organization by name, further
addresses), the 360° page with consent and timeline, delete into the trash and restore."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import selectors as customer_selectors
from customers import services
from customers.models import RESTORE_DAYS, Consent
from directory import activity_views, duplicates, filters, forms, selectors, views
from mail import selectors as mail_selectors
from timeline import selectors as timeline_selectors
from timeline import views as timeline_views


@require_GET
def contact_list(request):
    """The contacts the user sees, filtered, sorted and paged; htmx gets the table only."""
    contacts = selectors.contact_rows(user=request.user, queryset=selectors.contact_list_for_user(user=request.user))
    filterset = filters.ContactFilter(request.GET, queryset=contacts, user=request.user)
    context = views.list_context(request, filterset, lambda qs: qs.order_by(*_order(qs)), views.CONTACT_COLUMNS)
    template = "directory/contact_list.html#table" if request.htmx else "directory/contact_list.html"
    return render(request, template, context)


def _order(queryset):
    """The filter's sort, then name and id, so that paging is stable."""
    default = ["last_name", "first_name", "pk"]
    return [*queryset.query.order_by, *default] if queryset.query.order_by else default


def _preselected_organization(request):
    """The organization of `?organization=<id>` if the user sees it (else none)."""
    try:
        return selectors.organization_get_for_user(user=request.user, organization_id=request.GET["organization"])
    except (KeyError, Http404):
        return None


def _save(request, form, formset, save):
    """Validate form and further addresses, then `save(**fields)`; errors go onto the form."""
    if not (form.is_valid() & formset.is_valid()):
        return None
    try:
        return save(channels=forms.channels_of(formset), **form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, views.form_errors(error))
        return None


def _form_response(request, form, formset, contact=None, *, found=None):
    status = 400 if form.errors or any(formset.errors) or formset.non_form_errors() else 200
    context = {"form": form, "formset": formset, "contact": contact, "duplicates": found}
    return render(request, "directory/contact_form.html", context, status=409 if found else status)


def _duplicates_of(request, form, formset):
    """Contacts with one of the typed e-mail addresses or phone numbers, unless the user said
    "create anyway" (or the input is not valid yet)."""
    if request.POST.get("create_anyway") or not (form.is_valid() & formset.is_valid()):
        return None
    channels = forms.channels_of(formset)
    return duplicates.contact_duplicate_candidates(
        user=request.user,
        email=form.cleaned_data["email"],
        phone=form.cleaned_data["phone"],
        emails=[value for kind, _label, value in channels if kind == "email"],
        phones=[value for kind, _label, value in channels if kind == "phone"],
    )


@require_http_methods(["GET", "POST"])
def contact_create(request):
    """The new-contact form. Contacts with a typed e-mail address or phone number come back
    first (409, the form as typed) with links and "Create anyway"."""
    form = forms.ContactForm(request.POST or None, user=request.user, organization=_preselected_organization(request))
    formset = forms.channel_formset(request.POST or None)
    if request.method == "POST":
        found = _duplicates_of(request, form, formset)
        if found:
            return _form_response(request, form, formset, found=found)
        contact = _save(request, form, formset, lambda **fields: services.contact_create(actor=request.user, **fields))
        if contact is not None:
            messages.success(request, _("Contact %(name)s created.") % {"name": contact})
            return redirect("contacts:detail", contact.pk)
    return _form_response(request, form, formset)


@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id):
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    form = forms.ContactForm(request.POST or None, instance=contact, user=request.user)
    formset = forms.channel_formset(request.POST or None, contact=contact)
    if request.method == "POST":
        saved = _save(
            request,
            form,
            formset,
            lambda **fields: services.contact_update(actor=request.user, contact=contact, **fields),
        )
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("contacts:detail", contact.pk)
    return _form_response(request, form, formset, contact)


def _detail(request, contact, consent_form=None, status=200):
    overview = selectors.contact_overview(user=request.user, contact=contact)
    context = {
        "contact": contact,
        "can_delete": services.can_delete(request.user, contact),
        "consent_form": consent_form or forms.ConsentForm(initial={"status": contact.email_consent}),
        "possible_duplicates": duplicates.contact_duplicate_candidates(
            user=request.user,
            email=contact.email,
            phone=contact.phone,
            emails=[c.value for c in overview["emails"]],
            phones=[c.value for c in overview["phones"]],
            exclude=[contact.pk],
        ).visible,
        "recent_merges": duplicates.recent_merges_into(contact),
        "email_bounces": mail_selectors.bounces_for_addresses(
            addresses=[contact.email, *(c.value for c in overview["emails"])], contact=contact
        ),
        **overview,
        **activity_views.log_form_context(
            request, overview=overview, log_url=reverse("contacts:log_activity", args=[contact.pk])
        ),
        "page": timeline_selectors.contact_timeline(user=request.user, contact=contact),
        "timeline_url": reverse("contacts:timeline", args=[contact.pk]),
    }
    return render(request, "directory/contact_detail.html", context, status=status)


@require_GET
def contact_detail(request, contact_id):
    """The 360° page: facts, organization and consent history, figures, deals, leads,
    activities and the timeline."""
    return _detail(request, selectors.contact_get_for_user(user=request.user, contact_id=contact_id))


@require_POST
def contact_consent(request, contact_id):
    """Record the e-mail consent with its source; without a source the page says why (400)."""
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.contact_consent_set(actor=request.user, contact=contact, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, views.form_errors(error))
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("contacts:detail", contact.pk)
    return _detail(request, contact, consent_form=form, status=400)


@require_POST
def contact_consent_ask(request, contact_id):
    """ "Ask for confirmation": the consent becomes pending and the double opt-in e-mail goes out
    once the change commits (the nurturing app listens, docs/nurturing.md "Double opt-in")."""
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    if not contact.email:
        messages.error(request, _("The contact has no e-mail address to ask."))
    else:
        services.contact_consent_set(
            actor=request.user,
            contact=contact,
            status=Consent.PENDING,
            source=_("confirmation e-mail requested"),
            proof=_("Double opt-in e-mail requested for %(address)s.") % {"address": contact.email},
        )
        messages.success(
            request, _("We will send the confirmation e-mail to %(address)s.") % {"address": contact.email}
        )
    return redirect("contacts:detail", contact.pk)


@require_GET
def contact_timeline(request, contact_id):
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    return timeline_views.timeline_response(
        request,
        read=lambda before: timeline_selectors.contact_timeline(user=request.user, contact=contact, before=before),
        url=reverse("contacts:timeline", args=[contact.pk]),
        title=str(contact),
        back_url=reverse("contacts:detail", args=[contact.pk]),
    )


@require_http_methods(["GET", "POST"])
def contact_delete(request, contact_id):
    """GET: what deleting means (the trash, what blocks it); POST: into the trash."""
    contact = selectors.contact_get_for_user(user=request.user, contact_id=contact_id)
    error = None
    if request.method == "POST":
        try:
            services.contact_delete(actor=request.user, contact=contact)
        except ValidationError as refused:
            error = views.form_errors(refused)
        else:
            messages.success(
                request,
                _("%(name)s is in the trash. You can restore it for %(days)s days.")
                % {"name": contact, "days": RESTORE_DAYS},
            )
            return redirect("contacts:list")
    context = {
        "contact": contact,
        "error": error,
        **customer_selectors.deletion_preview(contact),
        "days": RESTORE_DAYS,
    }
    return render(request, "directory/contact_delete.html", context, status=400 if error else 200)


@require_GET
def contact_trash(request):
    page = Paginator(selectors.contact_trash_for_user(user=request.user), views.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "directory/contact_trash.html", {"page": page, "days": RESTORE_DAYS})


@require_POST
def contact_restore(request, contact_id):
    contact = selectors.contact_trashed_get_for_user(user=request.user, contact_id=contact_id)
    try:
        services.contact_restore(actor=request.user, contact=contact)
    except ValidationError as refused:
        messages.error(request, views.form_errors(refused))
        return redirect("contacts:trash")
    messages.success(request, _("%(name)s is restored.") % {"name": contact})
    return redirect("contacts:detail", contact.pk)
