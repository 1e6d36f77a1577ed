from django import forms
from django.contrib import admin

from mail import templating
from mail.models import EmailTemplate


class EmailTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "language", "subject", "body", "is_html", "owner", "visibility", "team"]

    def clean_subject(self):
        templating.validate(self.cleaned_data["subject"])
        return self.cleaned_data["subject"]

    def clean_body(self):
        templating.validate(self.cleaned_data["body"])
        return self.cleaned_data["body"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_html") and cleaned.get("body"):
            cleaned["body"] = templating.sanitise_html(cleaned["body"])
        return cleaned


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    """The installation's templates (no owner) and everyone's, for admins; the placeholders are
    checked as on the templates page (docs/email.md, "Templates")."""

    form = EmailTemplateAdminForm
    list_display = ("name", "language", "owner", "visibility", "team", "is_html", "updated_at")
    list_filter = ("language", "visibility", "is_html")
    search_fields = ("name", "subject")
    raw_id_fields = ("owner",)
