"""Thin views of the webhook subscriptions: list, new, detail with the delivery log, secret
(revealed on request, rotated), edit, delete, re-enable.

A subscription is its owner's (an admin manages everyone's): anyone else gets 404
(selectors). Bad input re-renders the form with its messages (400).
"""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from webhooks import selectors, services
from webhooks.forms import SubscriptionForm
from webhooks.models import Attempt

LOG_PAGE_SIZE = 25


@require_GET
def subscription_list(request):
    subscriptions = list(selectors.subscription_list_for_user(user=request.user))
    for subscription in subscriptions:
        subscription.status = selectors.subscription_status(subscription)
    context = {"subscriptions": subscriptions, "show_owner": scoping.is_admin(request.user)}
    return render(request, "webhooks/subscription_list.html", context)


def _apply(form, call):
    """Run the service; its refusals become the form's errors. The result, or None."""
    try:
        return call()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    return None


@require_http_methods(["GET", "POST"])
def subscription_create(request):
    form = SubscriptionForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created = _apply(form, lambda: services.subscription_create(actor=request.user, **form.service_kwargs()))
            if created is not None:
                flash.success(request, _("Subscription saved. Copy its signing secret into the receiver."))
                return redirect("webhooks:secret", subscription_id=created[0].pk)
        status = 400
    return render(request, "webhooks/subscription_form.html", {"form": form, "subscription": None}, status=status)


def _detail(request, subscription_id, *, secret=""):
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    page = Paginator(selectors.delivery_log(subscription=subscription), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    deliveries = list(page.object_list)
    # The attempts of this page's deliveries, in one query.
    prefetch_related_objects(deliveries, Prefetch("attempt_log", queryset=Attempt.objects.order_by("-at", "-id")))
    context = {
        "subscription": subscription,
        "status": selectors.subscription_status(subscription),
        "page": page,
        "deliveries": deliveries,
        "secret": secret,
        "show_owner": subscription.owner_id != request.user.pk,
    }
    response = render(request, "webhooks/subscription_detail.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@require_GET
def subscription_detail(request, subscription_id):
    return _detail(request, subscription_id)


@require_GET
@never_cache
def subscription_secret(request, subscription_id):
    """The secret in clear: the secret block for htmx ("Show" on the page), else the whole page."""
    secret = services.secret_reveal(actor=request.user, subscription_id=subscription_id)
    if request.htmx:
        subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
        return render(
            request,
            "webhooks/subscription_detail.html#secret",
            {"subscription": subscription, "secret": secret},
        )
    return _detail(request, subscription_id, secret=secret)


@require_POST
def secret_rotate(request, subscription_id):
    services.secret_rotate(actor=request.user, subscription_id=subscription_id)
    flash.success(request, _("New signing secret: the old one is no longer used. Copy it into the receiver."))
    return redirect("webhooks:secret", subscription_id=subscription_id)


@require_http_methods(["GET", "POST"])
def subscription_edit(request, subscription_id):
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    form = SubscriptionForm(request.POST or None, user=request.user, initial=SubscriptionForm.data_of(subscription))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            updated = _apply(
                form,
                lambda: services.subscription_update(
                    actor=request.user, subscription_id=subscription.pk, **form.service_kwargs()
                ),
            )
            if updated is not None:
                flash.success(request, _("Subscription saved."))
                return redirect("webhooks:detail", subscription_id=subscription.pk)
        status = 400
    context = {"form": form, "subscription": subscription}
    return render(request, "webhooks/subscription_form.html", context, status=status)


@require_POST
def subscription_delete(request, subscription_id):
    services.subscription_delete(actor=request.user, subscription_id=subscription_id)
    flash.success(request, _("Subscription deleted."))
    return redirect("webhooks:list")


@require_POST
def subscription_enable(request, subscription_id):
    try:
        services.subscription_enable(actor=request.user, subscription_id=subscription_id)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, _("Subscription enabled again: events are delivered from now on."))
    return redirect("webhooks:detail", subscription_id=subscription_id)
