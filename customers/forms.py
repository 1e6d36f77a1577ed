"""Forms the pages of contacts and leads share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Consent


class ConsentForm(forms.Form):
    """The e-mail consent of a contact or lead recorded by hand (customers.consent.check holds the rules)."""

    status = forms.ChoiceField(label=_("E-mail consent"), choices=Consent.choices)
    source = forms.CharField(
        label=_("Source"), max_length=200, help_text=_("How it was given or withdrawn, e.g. web form, signed form.")
    )
    proof = forms.CharField(
        label=_("Proof"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "What documents it, e.g. where the signed form is filed. For an existing customer: "
            "“existing customer since 2025-03-01”."
        ),
    )
