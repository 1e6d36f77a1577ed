from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from nurturing import consent
from nurturing.models import ConsentConfirmation, Suppression


class SuppressionForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["address", "source"]

    def clean_address(self):
        address = consent.normalise(self.cleaned_data["address"])
        if "@" not in address:
            raise forms.ValidationError(_("Enter an e-mail address."))
        if Suppression.objects.filter(address=address).exists():
            raise forms.ValidationError(_("This address is on the list already."))
        return address


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """The addresses that get no marketing e-mail (docs/nurturing.md, "Suppression list"). An
    admin may add a block by hand and lift a block by hand; an unsubscribe, a hard bounce or a
    complaint is lifted only by the person's confirmed double opt-in, never here."""

    list_display = ["address", "reason", "source", "at"]
    list_filter = ["reason"]
    search_fields = ["address", "source"]
    date_hierarchy = "at"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SuppressionForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["address", "source"] if obj is None else ["address", "reason", "source", "at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["address", "reason", "source", "at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.reason == Suppression.Reason.MANUAL)

    def save_model(self, request, obj, form, change):
        # Through the service: everyone with the address is withdrawn and leaves their sequences.
        saved = consent.suppress(
            address=obj.address,
            reason=Suppression.Reason.MANUAL,
            source=obj.source or _("blocked by %(user)s") % {"user": request.user},
        )
        obj.pk, obj.reason, obj.at = saved.pk, saved.reason, saved.at


@admin.register(ConsentConfirmation)
class ConsentConfirmationAdmin(admin.ModelAdmin):
    """The double opt-in e-mails and their confirmations: the proof, read-only."""

    list_display = ["address", "requested_at", "sent_at", "confirmed_at", "confirmed_ip"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["address"]
    date_hierarchy = "requested_at"
    fields = readonly_fields = [
        "address", "contact", "lead", "requested_at", "sent_at", "confirmed_at", "confirmed_ip", "confirmed_user_agent",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
