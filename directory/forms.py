"""Forms of the organization and contact pages. Owners come from the users the editor may hand
records to; phone numbers are checked and stored in international form."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from customers import phones
from customers.models import Organization

VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,12}$")


class OwnerMixin:
    def limit_owner(self, user):
        owner = self.fields["owner"]
        allowed = scoping.assignable_users(user)
        if self.instance.owner_id:
            allowed = allowed | type(self.instance.owner).objects.filter(pk=self.instance.owner_id)
        owner.queryset = allowed.distinct().order_by("first_name", "username")
        owner.required = False


class OrganizationForm(OwnerMixin, forms.ModelForm):
    # Longer than the stored two letters, so that "Germany" gets the explaining message below.
    country = forms.CharField(
        label=_("country"), max_length=60, required=False, help_text=_("Two-letter code, e.g. DE.")
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "industry",
            "size_band",
            "region",
            "website",
            "email_domain",
            "phone",
            "vat_id",
            "street",
            "postal_code",
            "city",
            "country",
            "owner",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_owner(user)
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
            self.initial.setdefault("country", "DE")
        if self.instance.phone:
            self.initial["phone"] = phones.national(self.instance.phone)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self):
        return phones.normalise(self.cleaned_data["phone"])

    def clean_vat_id(self):
        value = re.sub(r"[\s-]", "", self.cleaned_data["vat_id"]).upper()
        if value and not VAT_ID.match(value):
            raise forms.ValidationError(_("A VAT ID starts with the country code, e.g. DE123456789."))
        return value

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. DE, AT or CH."))
        return value

    def clean_email_domain(self):
        return self.cleaned_data["email_domain"].strip().lower().removeprefix("@")
