"""The preferences' form for a new personal access token."""

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken
from pipeline_crm import widgets as crm_widgets


class TokenForm(forms.Form):
    """Name, scope and an optional expiry date (the token works until the end of that day, in
    the user's time zone)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Zapier” or “Nightly export”."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=crm_widgets.DateInput,
        help_text=_("Optional. The token stops working at the end of this day."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the token a name."))
        return name

    def clean_expires_on(self):
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise ValidationError(_("The expiry must be in the future."))
        return expires_on

    def expires_at(self):
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        return timezone.make_aware(datetime.combine(expires_on, time.max))
