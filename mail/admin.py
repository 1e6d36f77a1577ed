from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mail import crypto, mailbox_services, sharing, templating
from mail.forms import TemplateTextMixin
from mail.mailbox_forms import MailboxAdminForm
from mail.models import EmailTemplate, Mailbox, MailFolder


class MailFolderInline(admin.TabularInline):
    model = MailFolder
    extra = 0
    fields = ["role", "name", "uidvalidity", "last_uid", "synced_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """Personal mailboxes and the shared BCC dropbox (kind "dropbox", no user). The secret is
    never shown: the password field is write-only and sealed on save. A change of the server
    settings or a new password is tested first (mail/probe.py), as on the user's own page."""

    form = MailboxAdminForm
    list_display = ["__str__", "kind", "user", "email_address", "status", "last_synced_at", "last_error"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["email_address", "user__username"]
    raw_id_fields = ["user"]
    inlines = [MailFolderInline]
    readonly_fields = [
        "status",
        "last_error",
        "last_error_at",
        "failure_count",
        "failure_notified_at",
        "last_synced_at",
        "connected_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "user", "provider", "email_address", "display_name"]}),
        (
            gettext_lazy("Servers"),
            {
                "fields": [
                    ("imap_host", "imap_port", "imap_security"),
                    ("smtp_host", "smtp_port", "smtp_security"),
                    "username",
                    "password",
                    "inbox_folder",
                    "sent_folder",
                    "sync_enabled",
                ]
            },
        ),
        (gettext_lazy("Preferences"), {"fields": ["sharing", "dropbox_token"]}),
        (gettext_lazy("Status"), {"fields": readonly_fields}),
    ]

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("password")
        if password:
            obj.secret = crypto.seal(password)
        super().save_model(request, obj, form, change)
        if change and "sharing" in form.changed_data and obj.user_id:
            sharing.refresh_shared(obj.user)
        report = getattr(form, "probe_report", None)
        if report is not None:
            mailbox_services.mailbox_save_connection(
                mailbox_id=obj.pk, values={}, password="", report=report, new_account=form.new_account
            )
            obj.refresh_from_db()
            messages.success(request, _("The connection test passed; the mailbox is connected."))


class EmailTemplateAdminForm(TemplateTextMixin, forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "language", "subject", "body", "is_html", "owner", "visibility", "team"]

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
