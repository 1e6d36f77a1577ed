from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import User
from customers.forms import ConsentForm as ConsentForm  # shared with the other record page
from leads import import_encoding, import_mapping
from leads.models import Lead

LEVEL_CHOICES = Lead.Level.choices


class LeadForm(forms.ModelForm):
    """Create and edit a lead. The owner picker offers whom the user may hand leads to."""

    class Meta:
        model = Lead
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "company_name",
            "source",
            "campaign",
            "industry",
            "size_band",
            "region",
            "decision_role",
            "persona",
            "owner",
            "need",
            "budget",
            "authority",
            "timing",
            "message",
        ]
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owners = scoping.assignable_users(user).order_by("username")
        if self.instance.pk and self.instance.owner_id:
            owners = owners | User.objects.filter(pk=self.instance.owner_id)
        self.fields["owner"].queryset = owners.distinct()
        self.fields["owner"].required = not (self.instance.pk and self.instance.owner_id is None)
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)


class QualificationForm(forms.Form):
    need = forms.TypedChoiceField(label=_("Need"), choices=LEVEL_CHOICES, coerce=int)
    budget = forms.TypedChoiceField(label=_("Budget"), choices=LEVEL_CHOICES, coerce=int)
    authority = forms.TypedChoiceField(label=_("Decision authority"), choices=LEVEL_CHOICES, coerce=int)
    timing = forms.TypedChoiceField(label=_("Timing"), choices=LEVEL_CHOICES, coerce=int)


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=[])
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s.value, s.label) for s in choices]


class WebLeadForm(forms.Form):
    """The public web-to-lead form. `website` is a honeypot that people never see."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    message = forms.CharField(
        label=_("Message"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    consent = forms.BooleanField(
        label=_("I agree to be contacted about my enquiry and to the storage of my data for this purpose."),
        error_messages={"required": _("We can only reply if you agree to be contacted.")},
    )
    # Marketing e-mail is a purpose of its own (UWG § 7): an optional box, confirmed by double
    # opt-in; its wording is kept as proof (docs/nurturing.md, "Double opt-in").
    newsletter = forms.BooleanField(
        label=_("Yes, send me news and offers by e-mail. I can unsubscribe at any time with the link in every e-mail."),
        required=False,
    )
    campaign = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


ENCODING_CHOICES = [
    (import_encoding.AUTO, _("Detect automatically (recommended)")),
    *((name, label) for name, label in import_encoding.LABELS.items()),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES, initial=import_encoding.AUTO)


class ImportEncodingForm(forms.Form):
    """Read the previewed file again with another encoding."""

    encoding = forms.ChoiceField(label=_("Read the file as"), choices=ENCODING_CHOICES)


class ImportColumnsForm(forms.Form):
    """The lead field each column of the previewed file fills (one choice per column)."""

    def __init__(self, *args, lead_import, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_import = lead_import
        choices = [(import_mapping.IGNORE, _("— ignore —")), *import_mapping.TARGETS.items()]
        mapping = lead_import.mapping
        for index, header in enumerate(lead_import.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else import_mapping.IGNORE,
            )

    def mapping(self):
        return [self.cleaned_data.get(f"col_{index}") or "" for index in range(len(self.lead_import.headers))]
