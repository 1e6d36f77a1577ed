from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from deals import selectors
from deals.models import Deal
from pipeline_crm import widgets as crm_widgets


class QuickAddForm(forms.Form):
    """A new card in a column: the fields a rep knows on the phone."""

    title = forms.CharField(label=_("Title"), max_length=200)
    organization = forms.CharField(label=_("Organization"), max_length=200, required=False)
    value = forms.DecimalField(
        label=_("Value"), max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, initial=0
    )
    expected_close_date = forms.DateField(label=_("Expected close"), required=False, widget=crm_widgets.DateInput)

    def clean_value(self):
        return self.cleaned_data["value"] or Decimal(0)


class MoveForm(forms.Form):
    """The move endpoint's input (the drop and the "Move to…" control post the same fields)."""

    stage = forms.IntegerField()
    version = forms.IntegerField(min_value=1)
    position = forms.IntegerField(required=False, min_value=0)
    after = forms.IntegerField(required=False)
    before = forms.IntegerField(required=False)
    from_stage = forms.IntegerField(required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class LostForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=selectors.lost_reason_list(), empty_label=_("Choose a reason")
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DealEditForm(forms.ModelForm):
    """The detail page's edit form; the owner field appears only for users who may reassign."""

    organization_name = forms.CharField(label=_("Organization"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Deal
        fields = ["title", "value", "expected_close_date", "probability", "owner"]
        widgets = {"expected_close_date": crm_widgets.DateInput}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.fields["organization_name"].initial = self.instance.organization.name if self.instance.organization else ""
        if scoping.is_admin(user) or user.role == "manager":
            self.fields["owner"].queryset = scoping.assignable_users(user)
        else:
            del self.fields["owner"]
        self.order_fields(["title", "organization_name", "value", "expected_close_date", "probability", "owner"])
