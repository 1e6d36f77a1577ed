"""The customer's two forms on the quote's page: accept (name and confirmation) and decline
(name and reason). The service checks the same again; the forms give the messages per field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from quotes.public import MAX_NAME


def signer_name_field():
    return forms.CharField(
        label=_("Your full name"),
        max_length=MAX_NAME,
        min_length=2,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please enter your full name.")},
    )


class AcceptForm(forms.Form):
    name = signer_name_field()
    confirm = forms.BooleanField(
        label=_("I accept this offer with its terms."),
        error_messages={"required": _("Please confirm that you accept the offer.")},
    )


class DeclineForm(forms.Form):
    name = signer_name_field()
    reason = forms.CharField(
        label=_("Why do you decline the offer?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please tell us why you decline the offer.")},
    )
