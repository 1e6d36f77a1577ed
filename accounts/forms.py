from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.translation import gettext_lazy as _

from accounts import avatar, localization, throttling
from accounts.models import User


class PreferencesForm(forms.ModelForm):
    """The user's own settings. The time zone is one of the zoneinfo names (a list with a text
    filter, static/js/preferences.js), never free text; working hours are in that zone."""

    time_zone = forms.ChoiceField(
        label=_("time zone"),
        required=False,
        error_messages={"invalid_choice": _("Unknown time zone “%(value)s” (use a name like Europe/Berlin).")},
        widget=forms.Select(attrs={"data-filterable": "", "data-filter-label": _("Filter the time zones")}),
    )

    avatar_from_name = forms.BooleanField(
        label=_("Colour from my name"),
        required=False,
        help_text=_("A colour picked from your user name; untick it to choose your own."),
    )

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "email_signature",
            "avatar_color",
            "language",
            "time_zone",
            "workday_start",
            "workday_end",
            "reminder_lead_minutes",
            "digest_enabled",
            "digest_hour",
        ]
        widgets = {
            "email_signature": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
            "avatar_color": forms.TextInput(attrs={"type": "color"}),
            "workday_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "workday_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "workday_end": _(
                "Activities made by follow-up rules are due within your working hours (Monday to Friday)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = _("The installation's (%(zone)s)") % {"zone": settings.TIME_ZONE}
        self.fields["time_zone"].choices = [("", default)] + [(name, name) for name in localization.time_zone_names()]
        self.fields["time_zone"].help_text = User._meta.get_field("time_zone").help_text
        self.fields["language"].choices = [("", _("The browser's language")), *settings.LANGUAGES]
        # Left empty (or not sent), the working hours stay as they are.
        for name in ("workday_start", "workday_end"):
            self.fields[name].required = False
        # A colour input always holds a colour: without a choice it shows the name's, and the box
        # "from my name" (ticked) keeps the stored value empty, so the avatar follows the palette.
        self.fields["email_signature"].help_text = _(
            "Added below the e-mails you write, after a line “-- ”; you can still change it in each e-mail."
        )
        self.fields["avatar_color"].help_text = _("The background of your initials in the menu, on cards and lists.")
        self.fields["avatar_color"].required = False
        chosen = self.instance.avatar_color
        self.initial.setdefault("avatar_from_name", not chosen)
        if not chosen:
            self.initial["avatar_color"] = avatar.palette_color(self.instance.username)
        self.order_fields([*self.Meta.fields[:5], "avatar_from_name"])

    def clean_workday_start(self):
        return self.cleaned_data["workday_start"] or self.instance.workday_start

    def clean_workday_end(self):
        return self.cleaned_data["workday_end"] or self.instance.workday_end

    def clean_time_zone(self):
        # Stored zones outside today's list (renamed by a tzdata update) stay readable as the
        # installation's; a new choice must be on the list.
        return self.cleaned_data["time_zone"]

    def clean_avatar_color(self):
        colour = (self.cleaned_data["avatar_color"] or "").strip()
        if colour and not avatar.COLOR.match(colour):
            raise ValidationError(_("Give the colour as # and six hexadecimal digits, like #1d4ed8."))
        return colour.lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("avatar_from_name"):
            cleaned["avatar_color"] = ""
        start, end = cleaned.get("workday_start"), cleaned.get("workday_end")
        if start and end and end <= start:
            self.add_error("workday_end", _("The working day must end after it starts."))
        return cleaned


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
