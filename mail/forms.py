from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import Team
from mail import templating
from mail.models import EmailTemplate


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ComposeForm(forms.Form):
    """The e-mail form: the addresses are checked when sending (mail.sending.parse_addresses)
    and their errors put back on these fields."""

    to = forms.CharField(label=_("To"), max_length=5000, required=False)
    cc = forms.CharField(label=_("Cc"), max_length=5000, required=False)
    bcc = forms.CharField(label=_("Bcc"), max_length=5000, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=500, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}), required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    files = forms.MultipleChoiceField(
        label=_("Attach from the deal"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, file_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].choices = list(file_choices)
        if not file_choices:
            del self.fields["files"]
        for name in ("to", "cc", "bcc"):
            self.fields[name].widget.attrs.update({"list": "address-matches", "autocomplete": "off"})


class TemplateTextMixin:
    """Subject and body hold only the whitelisted placeholders (mail/templating.py); the page's
    form and the admin's share it."""

    def clean_subject(self):
        templating.validate(self.cleaned_data["subject"])
        return self.cleaned_data["subject"]

    def clean_body(self):
        templating.validate(self.cleaned_data["body"])
        return self.cleaned_data["body"]


class TemplateForm(TemplateTextMixin, forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "language", "subject", "body", "is_html", "visibility", "team"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name")
        if not scoping.is_admin(user):
            teams = teams.filter(pk__in=[user.team_id, *scoping.managed_team_ids(user)])
        self.fields["team"].queryset = teams
        self.fields["team"].required = False
        self.fields["body"].help_text = _("Placeholders: %(allowed)s") % {"allowed": templating.allowed_text()}
