import zoneinfo

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.translation import gettext_lazy as _

from accounts import throttling
from accounts.models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "time_zone",
            "reminder_lead_minutes",
            "digest_enabled",
            "digest_hour",
        ]

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("Unknown time zone “%(tz)s” (use a name like Europe/Berlin)."), params={"tz": value}
            )
        return value


class LockoutAwareMixin:
    """A login form that says so when django-axes refused the login because of a lockout.

    Without it the user would read "wrong password" although the password may be right.
    """

    def get_invalid_login_error(self):
        if throttling.is_locked_out(self.request):
            return ValidationError(throttling.lockout_message(), code="locked_out")
        return super().get_invalid_login_error()


class LoginForm(LockoutAwareMixin, auth_forms.AuthenticationForm):
    pass


class AdminLoginForm(LockoutAwareMixin, AdminAuthenticationForm):
    pass


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    """The address to send a reset link to (the e-mail itself leaves from the worker)."""


class PasswordResetEmailForm(auth_forms.PasswordResetForm):
    """Django's reset form as the worker uses it: the same users, tokens and context, but a
    failed delivery raises (Django only logs it) so that the task is retried."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()
