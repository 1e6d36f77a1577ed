"""The nurturing app's admin: the follow-up rule page gains the e-mail template or sequence of
the rules that send an e-mail or enrol (docs/nurturing.md, "Rules and retargeting"); the
suppression list and the double opt-in confirmations (docs/nurturing.md, "Consent")."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from activities.models import FollowUpRule
from nurturing import consent
from nurturing.models import ConsentConfirmation, RuleAction, Suppression


class RuleActionFormSet(forms.BaseInlineFormSet):
    """A rule that sends an e-mail needs its template; one that enrols, its sequence. A post
    without this inline's fields (a script, an older form) leaves the settings as they are."""

    def __init__(self, data=None, *args, **kwargs):
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        super().__init__(data, *args, **kwargs)

    def clean(self):
        super().clean()
        action = self.instance.action
        needs = {FollowUpRule.Action.SEND_EMAIL: "template", FollowUpRule.Action.ENROL: "sequence"}.get(action)
        if needs is None:
            return
        given = [
            form.cleaned_data.get(needs)
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        if not any(given):
            if needs == "template":
                raise ValidationError(_("A rule that sends an e-mail needs its template."))
            raise ValidationError(_("A rule that enrols needs its sequence."))


class RuleActionInline(admin.StackedInline):
    model = RuleAction
    formset = RuleActionFormSet
    extra = 1
    max_num = 1
    fields = ["template", "sequence"]


_base = type(admin.site._registry[FollowUpRule])
admin.site.unregister(FollowUpRule)


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(_base):
    inlines = [*_base.inlines, RuleActionInline]


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
