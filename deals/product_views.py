"""The product catalogue in the app (`/products/`): every signed-in user reads the list (reps
choose from it on their deals); admins create, edit, deactivate and reactivate products
(DESIGN §5: catalogue configuration is the admins'). Django admin keeps its own pages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from deals import forms, money, selectors, services


def _require_admin(request):
    if not scoping.is_admin(request.user):
        raise PermissionDenied(_("Only admins manage the product catalogue."))


@require_GET
def product_list(request):
    """Every product, active ones first. Queries: session, user, products."""
    show = request.GET.get("show", "active")
    products = list(selectors.product_list(active_only=show != "all"))
    price_lists, prices = selectors.price_list_table()
    for product in products:
        product.price_columns = [prices.get((price_list.pk, product.pk)) for price_list in price_lists]
    return render(
        request,
        "deals/product_list.html",
        {"products": products, "show": show, "is_admin": scoping.is_admin(request.user), "price_lists": price_lists},
    )


def _save(request, form, *, product=None):
    try:
        if product is None:
            return services.product_create(actor=request.user, **form.cleaned_data)
        return services.product_update(actor=request.user, product_id=product.pk, **form.cleaned_data)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None


def _form_page(request, form, *, product=None, status=200):
    return render(
        request,
        "deals/product_form.html",
        {"form": form, "product": product, "vat_rates": money.COMMON_VAT_RATES},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def product_new(request):
    _require_admin(request)
    if request.method == "GET":
        return _form_page(request, forms.ProductForm())
    form = forms.ProductForm(request.POST)
    saved = _save(request, form) if form.is_valid() else None
    if saved is None:
        messages.error(request, _("The product was not saved. Please correct the marked fields."))
        return _form_page(request, form, status=400)
    messages.success(request, _("Product “%(name)s” created.") % {"name": saved.name})
    return redirect("products:list")


@require_http_methods(["GET", "POST"])
def product_edit(request, product_id):
    _require_admin(request)
    product = selectors.product_get(product_id=product_id)
    if request.method == "GET":
        return _form_page(request, forms.ProductForm(instance=product), product=product)
    form = forms.ProductForm(request.POST, instance=selectors.product_get(product_id=product_id))
    saved = _save(request, form, product=product) if form.is_valid() else None
    if saved is None:
        messages.error(request, _("The product was not saved. Please correct the marked fields."))
        return _form_page(request, form, product=product, status=400)
    messages.success(request, _("Product “%(name)s” saved.") % {"name": saved.name})
    return redirect("products:list")


@require_POST
def product_active(request, product_id):
    """Deactivate (`active=0`) or reactivate (`active=1`) a product."""
    _require_admin(request)
    product = selectors.product_get(product_id=product_id)
    active = request.POST.get("active")
    if active not in ("0", "1"):
        messages.error(request, _("Say whether the product is to be active."))
        products = selectors.product_list()
        return render(
            request, "deals/product_list.html", {"products": products, "show": "all", "is_admin": True}, status=400
        )
    product = services.product_set_active(actor=request.user, product_id=product.pk, active=active == "1")
    if product.is_active:
        messages.success(request, _("“%(name)s” is offered again.") % {"name": product.name})
    else:
        messages.success(request, _("“%(name)s” is no longer offered on new line items.") % {"name": product.name})
    return redirect("products:list")
