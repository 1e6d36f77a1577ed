import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "time_zone",
            "reminder_lead_minutes",
            "digest_enabled",
            "digest_hour",
        ]

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("Unknown time zone “%(tz)s” (use a name like Europe/Berlin)."), params={"tz": value}
            )
        return value
