"""The subscription form, used by the pages and, for the same messages, by the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from events.models import EventType
from webhooks import services


class SubscriptionForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=services.URL_MAX_LENGTH,
        assume_scheme="https",
        help_text=_("An http:// or https:// address in a public network; it receives the events as POST requests."),
    )
    description = forms.CharField(label=_("Description"), max_length=services.DESCRIPTION_MAX_LENGTH, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    allow_private_network = forms.BooleanField(
        label=_("Allow a private network address"),
        required=False,
        help_text=_("Only for a system in your own network: the address may then be private, loopback or link-local."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not scoping.is_admin(user):
            del self.fields["allow_private_network"]

    @staticmethod
    def data_of(subscription):
        """The form's data for an existing subscription (the API's partial update starts here)."""
        return {
            "url": subscription.url,
            "description": subscription.description,
            "events": list(subscription.events),
            "allow_private_network": subscription.allow_private_network,
        }

    def service_kwargs(self):
        kwargs = {field: self.cleaned_data[field] for field in ("url", "description", "events")}
        if "allow_private_network" in self.fields:
            kwargs["allow_private_network"] = self.cleaned_data["allow_private_network"]
        return kwargs
