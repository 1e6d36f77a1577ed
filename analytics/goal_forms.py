"""The goals page's forms: a goal (its owner is one user or one team the actor may set goals for)
and the period picker."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from analytics import goals
from analytics.models import Goal
from pipeline_crm import widgets


def _label(name):
    return capfirst(Goal._meta.get_field(name).verbose_name)


class GoalForm(forms.Form):
    """The owner is one choice among the teams and the people the actor may set goals for
    ("team:3", "user:7"); any day of the period is accepted and stored as its first day."""

    owner = forms.ChoiceField(label=_("For"), widget=widgets.Select)
    metric = forms.ChoiceField(label=_label("metric"), choices=Goal.Metric.choices, widget=widgets.Select)
    period = forms.ChoiceField(label=_label("period"), choices=Goal.Period.choices, widget=widgets.Select)
    period_start = forms.DateField(
        label=_label("period_start"),
        widget=widgets.DateInput,
        help_text=_("Any day of the month or quarter: the goal starts on its first day."),
    )
    target = forms.DecimalField(label=_label("target"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))

    def __init__(self, *args, actor, goal=None, **kwargs):
        if goal is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {
                "owner": f"user:{goal.user_id}" if goal.user_id else f"team:{goal.team_id}",
                "metric": goal.metric,
                "period": goal.period,
                "period_start": goal.period_start,
                "target": goal.target,
            }
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.owners = {f"team:{team.pk}": team for team in goals.goal_teams(actor)}
        people = goals.goal_users(actor).order_by("first_name", "last_name", "username")
        self.owners.update((f"user:{user.pk}", user) for user in people)
        if goal is not None:  # the goal's own owner stays choosable, e.g. a user who left the team
            key = f"user:{goal.user_id}" if goal.user_id else f"team:{goal.team_id}"
            self.owners.setdefault(key, goal.user or goal.team)
        self.fields["owner"].choices = [
            ("", "---------"),
            (_("Teams"), [(key, team.name) for key, team in self.owners.items() if key.startswith("team:")]),
            (
                _("People"),
                [(key, u.get_full_name() or u.username) for key, u in self.owners.items() if key.startswith("user:")],
            ),
        ]
        if not self.is_bound and goal is None:
            self.initial.setdefault("period_start", timezone.localdate())

    def clean(self):
        data = super().clean()
        if data.get("period") and data.get("period_start"):
            data["period_start"] = goals.period_first_day(data["period"], data["period_start"])
        return data

    def service_arguments(self):
        """The cleaned values as the goal services take them (call after is_valid())."""
        data = self.cleaned_data
        owner = self.owners[data["owner"]]
        is_team = data["owner"].startswith("team:")
        return {
            "user": None if is_team else owner,
            "team": owner if is_team else None,
            "metric": data["metric"],
            "period": data["period"],
            "period_start": data["period_start"],
            "target": data["target"],
        }


class PeriodPickerForm(forms.Form):
    """Which month the goals page starts from (its month and quarter, and the ones after them)."""

    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def day(self):
        return self.cleaned_data.get("month") or timezone.localdate()
