from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import User
from activities.models import Activity, Kind


class ActivityForm(forms.ModelForm):
    """Plan or edit an activity. All-day activities are due at the start of their day."""

    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        model = Activity
        fields = ["kind", "subject", "due_at", "all_day", "remind_before_minutes", "assignee", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def activity_fields(self):
        """The cleaned values as `activities.services.activity_create` takes them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        assignable = scoping.assignable_users(user)
        if self.instance.pk and self.instance.assignee_id:
            assignable = assignable | User.objects.filter(pk=self.instance.assignee_id)
        self.fields["assignee"].queryset = assignable.distinct().order_by("username")
        self.fields["remind_before_minutes"].choices = [
            ("", _("The assignee's default lead time")),
            *Activity.RemindBefore.choices,
        ]
        self.fields["assignee"].required = False
        self.fields["assignee"].empty_label = _("Me")
        if len(self.fields["assignee"].queryset) <= 1:
            self.fields["assignee"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        due_at = cleaned.get("due_at")
        if cleaned.get("all_day"):
            if due_at is None:
                self.add_error("due_at", _("An all-day activity needs its day."))
            else:
                day = timezone.localtime(due_at).date()
                cleaned["due_at"] = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
        return cleaned


class NextStepFields(forms.Form):
    """The outcome of a done call or meeting and its optional next step (the follow-up)."""

    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "—"), *Activity.Outcome.choices])
    next_subject = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_due_at = forms.DateTimeField(
        label=_("Next step due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self):
        cleaned = super().clean()
        next_step_clean(self, cleaned)
        return cleaned


def next_step_clean(form, cleaned):
    """A next step needs its subject and its due time, or neither."""
    if cleaned.get("next_subject") and not cleaned.get("next_due_at") and "next_due_at" not in form.errors:
        form.add_error("next_due_at", _("When is the next step due?"))
    if cleaned.get("next_due_at") and not cleaned.get("next_subject"):
        form.add_error("next_subject", _("What is the next step?"))


class LogDoneForm(NextStepFields):
    """Log a call or meeting that just happened (deal and lead pages), with outcome and next step."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Kind.CALL.value, Kind.CALL.label), (Kind.MEETING.value, Kind.MEETING.label)],
        initial=Kind.CALL,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["kind", "subject", "outcome", "note", "next_subject", "next_due_at"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "done")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("subject") and cleaned.get("kind"):
            # "Call" or "Meeting" when the user typed nothing: logging must stay one click.
            cleaned["subject"] = str(Kind(cleaned["kind"]).label)
        return cleaned
