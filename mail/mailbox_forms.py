"""Forms of the mailbox page and the mailbox admin. The password field is write-only: it is
never rendered back, and an empty field keeps the stored secret (unless the settings would send
it to another server or user name, mail/mailbox_services.destination_changed)."""

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from mail import crypto, mailbox_services, presets, probe
from mail.mailbox_services import CONNECTION_FIELDS, FORM_FIELDS, destination_changed
from mail.models import Mailbox


class PasswordField(forms.CharField):
    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=False, max_length=1000, **kwargs)


class ConnectionFormMixin:
    """What the page's form and the admin's form share: the user name defaults to the address,
    a password is needed where none is stored or where the stored one would go elsewhere."""

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("username") and cleaned.get("email_address"):
            cleaned["username"] = cleaned["email_address"]
        for name in ("imap_host", "smtp_host"):
            cleaned[name] = (cleaned.get(name) or "").strip().rstrip(".")
        password = cleaned.get("password")
        if password or self.has_connection_settings(cleaned):
            try:
                crypto.fernet()
            except ImproperlyConfigured:
                raise forms.ValidationError(
                    _("Mailboxes cannot be connected until the administrator sets CRM_MAIL_KEYS.")
                ) from None
        if not password and self.has_connection_settings(cleaned):
            if not self.instance.secret:
                self.add_error("password", _("Enter the password (or app password)."))
            elif destination_changed(self.instance, cleaned):
                self.add_error(
                    "password",
                    _("The server, user name or encryption changed: enter the password again to use it there."),
                )
        return cleaned

    @staticmethod
    def has_connection_settings(cleaned):
        return bool(cleaned.get("imap_host") or cleaned.get("smtp_host"))

    def connection_values(self):
        return {name: self.cleaned_data[name] for name in CONNECTION_FIELDS if name in self.cleaned_data}


class MailboxForm(ConnectionFormMixin, forms.ModelForm):
    """The connection of the user's own mailbox (/accounts/mailbox/)."""

    provider = forms.ChoiceField(label=_("Provider"), required=False)
    password = PasswordField(
        label=_("Password or app password"),
        help_text=_("Never shown again. Leave empty to keep the stored one."),
    )

    class Meta:
        model = Mailbox
        fields = list(FORM_FIELDS)
        help_texts = {
            "username": _("Empty: the e-mail address."),
            "sent_folder": _("Empty: the folder the server marks as Sent."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = presets.choices()
        self.fields["email_address"].required = True
        self.fields["imap_host"].required = True
        self.fields["smtp_host"].required = True
        self.fields["inbox_folder"].required = True
        for name in ("imap_port", "smtp_port"):
            self.fields[name].validators += [MinValueValidator(1), MaxValueValidator(65535)]
            self.fields[name].widget.attrs.update(min=1, max=65535)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-field", name)


class PreferencesForm(forms.ModelForm):
    """Sharing: the user's mail preference, kept without a connected server. The signature is part of
    the user's profile (the preferences page)."""

    class Meta:
        model = Mailbox
        fields = ["sharing"]
        widgets = {"sharing": forms.RadioSelect}


class MailboxAdminForm(ConnectionFormMixin, forms.ModelForm):
    """The admin's form, also for the shared BCC dropbox (kind "dropbox", no user)."""

    password = PasswordField(
        label=_("Password or app password"),
        help_text=_("Write-only: stored encrypted, never shown. Leave empty to keep the stored one."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "kind",
            "user",
            *FORM_FIELDS,
            "sharing",
            "signature",
            "dropbox_token",
        ]

    def clean(self):
        cleaned = super().clean()
        kind, user = cleaned.get("kind"), cleaned.get("user")
        if kind == Mailbox.Kind.DROPBOX and user is not None:
            self.add_error("user", _("The shared BCC dropbox belongs to no user: leave the user empty."))
        if kind == Mailbox.Kind.PERSONAL and user is None:
            self.add_error("user", _("A personal mailbox needs its user."))
        if kind == Mailbox.Kind.DROPBOX:
            others = Mailbox.objects.filter(kind=Mailbox.Kind.DROPBOX).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("kind", _("There is a shared BCC dropbox already; change that one."))
        self._test_connection(cleaned)
        return cleaned

    def _test_connection(self, cleaned):
        """Run the test connection when a server setting or the password changed; a failure is
        the form's error. `probe_report` and `new_account` are for the admin's save."""
        self.probe_report, self.new_account = None, False
        if self.errors or not self.has_connection_settings(cleaned):
            return
        values, password, instance = self.connection_values(), cleaned.get("password") or "", self.instance
        if instance.pk and not mailbox_services.needs_test(instance, values, password):
            return
        try:
            secret = password or crypto.reveal(instance.secret)
        except crypto.SecretUnreadable:
            self.add_error("password", _("The stored password cannot be read any more: enter it again."))
            return
        report = probe.probe(mailbox_services.with_values(instance, values), password=secret)
        if not report.ok:
            self.add_error(
                None, _("Not saved: the connection test failed: %(failure)s") % {"failure": report.summary()}
            )
            return
        self.probe_report = report
        self.new_account = bool(instance.pk) and destination_changed(instance, values)
