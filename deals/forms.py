from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from deals import selectors
from deals.models import Deal, Objection, Product
from pipeline_crm import widgets as crm_widgets


class QuickAddForm(forms.Form):
    """A new card in a column: the fields a rep knows on the phone."""

    title = forms.CharField(label=_("Title"), max_length=200)
    organization = forms.CharField(label=_("Organization"), max_length=200, required=False)
    value = forms.DecimalField(
        label=_("Value"), max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, initial=0
    )
    expected_close_date = forms.DateField(label=_("Expected close"), required=False, widget=crm_widgets.DateInput)

    def clean_value(self):
        return self.cleaned_data["value"] or Decimal(0)


class MoveForm(forms.Form):
    """The move endpoint's input (the drop and the "Move to…" control post the same fields)."""

    stage = forms.IntegerField()
    version = forms.IntegerField(min_value=1)
    position = forms.IntegerField(required=False, min_value=0)
    after = forms.IntegerField(required=False)
    before = forms.IntegerField(required=False)
    from_stage = forms.IntegerField(required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class LostForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=selectors.lost_reason_list(), empty_label=_("Choose a reason")
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _picked_id(form, name):
    """The id a bound form was sent for `name`, else the instance's (for the picker's options)."""
    raw = form.data.get(form.add_prefix(name)) if form.is_bound else getattr(form.instance, f"{name}_id")
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


class DealEditForm(forms.ModelForm):
    """The deal page's form. The owner field appears only for users who may reassign.
    Organization and contact are chosen among the ones the user sees (the queryset validates);
    the select lists only the current choice and what the picker's search found, so the page
    stays small whatever the number of customers (the search fills the options by htmx)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Deal
        fields = [
            "title",
            "organization",
            "contact",
            "value_follows_line_items",
            "value",
            "expected_close_date",
            "probability",
            "owner",
            "price_list",
            "notes",
        ]
        labels = {
            "title": _("Title"),
            "organization": _("Organization"),
            "contact": _("Contact"),
            "value_follows_line_items": _("Value follows the line items"),
            "value": _("Value"),
            "expected_close_date": _("Expected close"),
            "probability": _("Probability override %"),
            "owner": _("Owner"),
            "price_list": _("Price list"),
            "notes": _("Notes"),
        }
        widgets = {
            "expected_close_date": crm_widgets.DateInput,
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        organizations, contacts = self.fields["organization"], self.fields["contact"]
        if self.is_bound:
            # What a posted pick is validated against; an unbound form draws only the options below.
            organizations.queryset = selectors.organization_choices_for_user(user=user)
            contacts.queryset = selectors.contact_choices_for_user(user=user)
        organization_id, contact_id = _picked_id(self, "organization"), _picked_id(self, "contact")
        # Whoever sees the deal sees its own organization, that organization's contacts and its
        # contact (the customer rule, docs/customers.md), and the deal row holds both: only another
        # pick is looked up through the scope (the queryset still validates a posted one).
        own_org = organization_id is not None and organization_id == self.instance.organization_id
        own_contact = contact_id is not None and contact_id == self.instance.contact_id
        if own_org:
            current_org = self.instance.organization
        else:
            current_org = organizations.queryset.filter(pk=organization_id).first() if organization_id else None
        if own_contact:
            current_contact = self.instance.contact
        else:
            current_contact = contacts.queryset.filter(pk=contact_id).first() if contact_id else None
        empty = [("", "—")]
        organizations.widget.choices = empty + ([(current_org.pk, current_org.name)] if current_org else [])
        contacts.widget.choices = empty + [
            (c.pk, str(c))
            for c in selectors.contact_options(
                user=user, organization_id=organization_id, current=current_contact, scoped=not own_org
            )
        ]
        if self.instance.pk:
            # Choosing an organization offers its contacts (the search input can look further).
            organizations.widget.attrs.update(
                {
                    "hx-get": reverse("deals:customer_options", args=[self.instance.pk]),
                    "hx-vals": '{"kind": "contact"}',
                    "hx-trigger": "change",
                    "hx-target": f"#{self.auto_id % self.add_prefix('contact')}",
                    "hx-swap": "innerHTML",
                }
            )
        self.fields["price_list"].queryset = selectors.price_list_choices(current_id=self.instance.price_list_id)
        self.fields["price_list"].help_text = _("New line items take their unit price from it.")
        self.fields["price_list"].empty_label = _("None: the products' own prices")
        if self.instance.value_follows_line_items:
            self.fields["value"].widget.attrs["readonly"] = True
            self.fields["value"].help_text = _("The line items' net total; switch off to enter the value by hand.")
        if scoping.is_admin(user) or user.role == "manager":
            self.fields["owner"].queryset = scoping.assignable_users(user)
        else:
            del self.fields["owner"]

    def clean(self):
        cleaned = super().clean()
        organization, contact = cleaned.get("organization"), cleaned.get("contact")
        if contact is not None and organization is not None and contact.organization_id not in (None, organization.pk):
            self.add_error(
                "contact",
                _("%(contact)s works for another organization.") % {"contact": contact},
            )
        return cleaned


class InlineOrganizationForm(forms.Form):
    """The deal page's "new organization": the name and what identifies it; the rest on its page."""

    name = forms.CharField(label=_("Name"), max_length=200)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class InlineContactForm(forms.Form):
    """The deal page's "new contact": a person at the deal's organization."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)


class LineItemForm(forms.Form):
    """One line item: a catalogue product or a free text, with its numbers. Empty unit price or
    VAT rate take the product's (the service fills them in)."""

    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("Free text")
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"), initial=1
    )
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        initial=0,
        required=False,
    )
    vat_rate = forms.DecimalField(
        label=_("VAT %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        widget=forms.NumberInput(attrs={"list": "vat-rates", "step": "0.01"}),
    )

    def __init__(self, *args, line=None, product_choices=None, **kwargs):
        if line is not None:
            kwargs.setdefault(
                "initial",
                {
                    "product": line.product_id,
                    "description": line.description,
                    "quantity": line.quantity.normalize(),
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent.normalize(),
                    "vat_rate": line.vat_rate.normalize(),
                },
            )
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(is_active=True)
        if line is not None and line.product_id:
            products = Product.objects.filter(Q(is_active=True) | Q(pk=line.product_id))
        self.fields["product"].queryset = products.order_by("name")
        if product_choices is not None:
            # The page's forms share one read of the catalogue: [(id, name, active)].
            wanted = line.product_id if line is not None else None
            self.fields["product"].widget.choices = [("", self.fields["product"].empty_label)] + [
                (pk, name) for pk, name, active in product_choices if active or pk == wanted
            ]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("product") and not (cleaned.get("description") or "").strip():
            self.add_error("description", _("Choose a product or describe the line item."))
        if not cleaned.get("product") and cleaned.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", _("Enter a unit price."))
        return cleaned

    def service_fields(self):
        data = self.cleaned_data
        return {name: data[name] for name in self.fields} | {"discount_percent": data["discount_percent"] or 0}


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "sku", "unit", "unit_price", "vat_rate", "is_active"]
        labels = {
            "name": _("Name"),
            "sku": _("SKU"),
            "unit": _("Unit"),
            "unit_price": _("Unit price"),
            "vat_rate": _("Default VAT rate %"),
            "is_active": _("Active"),
        }
        widgets = {"vat_rate": forms.NumberInput(attrs={"list": "vat-rates", "step": "0.01"})}

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class NewDealForm(QuickAddForm):
    """The "+ Deal" page: the quick-add fields plus the stage (any active pipeline's)."""

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, empty_label=None)

    field_order = ["title", "stage", "organization", "value", "expected_close_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stages = selectors.stages_for_new_deal()
        self.fields["stage"].queryset = stages
        self.fields["stage"].label_from_instance = lambda stage: f"{stage.pipeline.name}: {stage.name}"


class ObjectionForm(forms.ModelForm):
    """An objection on the deal page: what kind, what the customer said, whether and how it was handled."""

    class Meta:
        model = Objection
        fields = ["kind", "note", "handling", "response"]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
            "response": forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "—"), *Objection.Kind.choices]

    def clean(self):
        data = super().clean()
        if data.get("handling") not in (None, Objection.Handling.OPEN) and not (data.get("response") or "").strip():
            self.add_error("response", _("Say how the objection was handled."))
        return data

    def service_fields(self):
        data = self.cleaned_data
        return {"kind": data["kind"], "note": data["note"], "handling": data["handling"], "response": data["response"]}
