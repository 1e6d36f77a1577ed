"""The forms of the quote page. They check what a browser sends (numbers, dates, choices) so
that bad input comes back marked at its field; the rules of quotes (states, approval, who may
change what) stay in quotes.services, which checks again."""

from decimal import Decimal

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from deals.models import Product
from pipeline_crm import widgets as crm_widgets
from quotes.models import Quote


class QuoteHeaderForm(forms.ModelForm):
    """What a draft says around its lines."""

    class Meta:
        model = Quote
        fields = ["title", "language", "valid_until", "intro", "terms", "payment_terms", "prices_gross"]
        labels = {
            "title": _("Title"),
            "language": _("Language"),
            "valid_until": _("Valid until"),
            "intro": _("Introduction"),
            "terms": _("Terms"),
            "payment_terms": _("Payment terms"),
            "prices_gross": _("Prices include VAT (consumers)"),
        }
        widgets = {
            "valid_until": crm_widgets.DateInput,
            "intro": forms.Textarea(attrs={"rows": 3}),
            "terms": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_valid_until(self):
        day = self.cleaned_data["valid_until"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("A quote cannot be valid until a day that is over."))
        return day


class QuoteLineForm(forms.Form):
    """One line: a catalogue product or free text. Empty description, unit, unit price or VAT
    rate take the product's (quotes.services fills them in)."""

    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("Free text")
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("999999999"),
        initial=1,
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
    vat_rate = forms.TypedChoiceField(label=_("VAT %"), coerce=Decimal, required=False, empty_value=None)
    is_optional = forms.BooleanField(label=_("Optional"), required=False)

    def __init__(self, *args, rates, line=None, product_choices=None, **kwargs):
        """`rates`: the company profile's VAT rates (a line keeps its own rate if that is no longer
        offered); `product_choices`: [(id, name, active)] of one read of the catalogue, shared by
        every form of the page."""
        self.line = line
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
                    "vat_rate": f"{line.vat_rate.normalize():f}",
                    "is_optional": line.is_optional,
                },
            )
        super().__init__(*args, **kwargs)
        offered = list(rates)
        if line is not None and line.vat_rate.normalize() not in [r.normalize() for r in offered]:
            offered.append(line.vat_rate)
        rate_choices = [(f"{rate.normalize():f}", f"{rate.normalize():f} %") for rate in offered]
        if line is None:
            rate_choices.insert(0, ("", _("The product's")))
        self.fields["vat_rate"].choices = rate_choices
        products = Product.objects.filter(is_active=True)
        if line is not None and line.product_id:
            products = Product.objects.filter(pk=line.product_id) | products
        self.fields["product"].queryset = products.order_by("name")
        if product_choices is not None:
            wanted = line.product_id if line is not None else None
            self.fields["product"].widget.choices = [("", self.fields["product"].empty_label)] + [
                (pk, name) for pk, name, active in product_choices if active or pk == wanted
            ]
        if line is not None:
            self.fields["unit_price"].required = True

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if not product and not (cleaned.get("description") or "").strip():
            self.add_error("description", _("Choose a product or describe the line."))
        if not product and cleaned.get("unit_price") is None and "unit_price" not in self.errors:
            self.add_error("unit_price", _("Enter a unit price."))
        if not product and cleaned.get("vat_rate") is None and "vat_rate" not in self.errors:
            self.add_error("vat_rate", _("Choose a VAT rate."))
        return cleaned

    def service_fields(self):
        """The keyword arguments of quote_line_add / quote_line_update: what is left empty is
        left out, so that the product fills it in (a new line) or the line keeps it."""
        data = dict(self.cleaned_data)
        product = data["product"]
        fields = {
            "product": product,
            "quantity": data["quantity"],
            "discount_percent": data["discount_percent"] or 0,
            "is_optional": data["is_optional"],
            "unit": data["unit"],
        }
        description = (data["description"] or "").strip()
        if description:
            fields["description"] = description
        elif self.line is not None:
            fields["description"] = product.name if product else self.line.description
        for name in ("unit_price", "vat_rate"):
            if data[name] is not None:
                fields[name] = data[name]
        return fields


class ApprovalRequestForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the approver"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the customer should get this discount."),
    )


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject the discount."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Say why the discount is rejected."))
        return cleaned

    @property
    def approve(self):
        return self.cleaned_data["decision"] == "approve"


class SendForm(forms.Form):
    """The e-mail that carries the quote: to whom, subject and a short message."""

    to = forms.EmailField(label=pgettext_lazy("recipient of an e-mail", "To"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))

    @classmethod
    def for_quote(cls, quote, *, sender):
        """Prefilled with the contact's address, in the quote's language."""
        deal = quote.deal
        contact = deal.contact if deal.contact_id else None
        with translation.override(quote.language):
            greeting = (
                gettext("Dear %(name)s,") % {"name": f"{contact.first_name} {contact.last_name}".strip()}
                if contact is not None and contact.last_name
                else gettext("Dear Sir or Madam,")
            )
            body = gettext(
                "thank you for your interest. Please find our quote attached. You can accept it online "
                "with the link in this e-mail. We look forward to hearing from you."
            )
            closing = pgettext("closing of a letter", "Kind regards")
            initial = {
                "to": contact.email if contact is not None else "",
                "subject": str(quote.title),
                "message": f"{greeting}\n\n{body}\n\n{closing}\n{sender}".rstrip(),
            }
        return cls(initial=initial, prefix="send")


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)
