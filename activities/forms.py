from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import User
from activities.models import Activity


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
