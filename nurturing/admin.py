"""The nurturing app's admin: the follow-up rule page gains the e-mail template or sequence of
the rules that send an e-mail or enrol (docs/nurturing.md, "Rules and retargeting")."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from activities.models import FollowUpRule
from nurturing.models import RuleAction


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
