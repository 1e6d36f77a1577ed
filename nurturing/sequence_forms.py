"""The forms of the segment and sequence pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from mail import selectors as mail_selectors
from mail.models import EmailTemplate
from nurturing.models import Segment, Sequence, Step

WEEKDAYS = [
    ("", "—"),
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class SegmentForm(forms.Form):
    """Name and description; the filters come from the list's own FilterSet form beside it."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SequenceForm(forms.ModelForm):
    class Meta:
        model = Sequence
        fields = ["name", "description", "sender", "segment", "auto_enrol", "track_opens", "allow_overlap"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        if not scoping.is_admin(user):
            del self.fields["allow_overlap"]  # admins only (docs/nurturing.md)


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_language_display()})"


class StepForm(forms.ModelForm):
    """One form for every kind; the page shows the fields of the chosen kind (static/js/sequences.js)
    and the service keeps only those. `Step.clean` says what each kind needs."""

    template = TemplateChoiceField(queryset=EmailTemplate.objects.none(), required=False, label=_("Template"))
    wait_weekday = forms.TypedChoiceField(
        choices=WEEKDAYS, coerce=int, empty_value=None, required=False, label=_("or until the next")
    )
    then_position = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=_("then go to step"))
    else_position = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=_("else go to step"))

    class Meta:
        model = Step
        fields = [
            "kind",
            "template",
            "wait_days",
            "wait_weekday",
            "wait_time",
            "task_subject",
            "task_due_days",
            "condition",
            "then_position",
            "else_position",
        ]
        widgets = {"wait_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, user, step_count, **kwargs):
        super().__init__(*args, **kwargs)
        templates = mail_selectors.template_choices(user=user)
        self.fields["template"].queryset = EmailTemplate.objects.filter(pk__in=[t.pk for t in templates]).order_by(
            "name", "language", "pk"
        )
        targets = [("", _("end the sequence"))] + [(n, str(n)) for n in range(1, step_count + 1)]
        self.fields["then_position"].choices = targets
        self.fields["else_position"].choices = targets
        self.fields["kind"].widget.attrs["data-step-kind"] = ""
        self.fields["task_due_days"].required = False
        for name in self.fields:
            kind = self.kind_of(name)
            if kind:
                self.fields[name].widget.attrs["data-for-kind"] = kind

    @staticmethod
    def kind_of(name):
        return {
            "template": Step.Kind.EMAIL,
            "wait_days": Step.Kind.WAIT,
            "wait_weekday": Step.Kind.WAIT,
            "wait_time": Step.Kind.WAIT,
            "task_subject": Step.Kind.TASK,
            "task_due_days": Step.Kind.TASK,
            "condition": Step.Kind.BRANCH,
            "then_position": Step.Kind.BRANCH,
            "else_position": Step.Kind.BRANCH,
        }.get(name, "")

    def clean_task_due_days(self):
        return self.cleaned_data.get("task_due_days") or 0

    def _post_clean(self):
        """The model's clean runs in the service (after the fields of other kinds are cleared)."""
