"""The numbers of a sequence (docs/nurturing.md, "Numbers"): an htmx partial with a row per
e-mail step and the total, in the viewer's scope (a rep their own records' e-mails, a manager
their teams', an admin all). Reps see the numbers of sequences that have run (not drafts)."""

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import scoping
from nurturing import metrics
from nurturing.models import Sequence, Step

COLUMNS = (
    ("sent", "int"),
    ("delivered", "int"),
    ("bounced", "int"),
    ("opened", "int"),
    ("clicked", "int"),
    ("ctr", "percent"),
    ("replied", "int"),
    ("unsubscribed", "int"),
    ("converted", "int"),
    ("won_first", "int"),
    ("revenue_first", "money"),
    ("won_last", "int"),
    ("revenue_last", "money"),
)


def visible_sequences(user):
    if scoping.is_admin(user) or user.role == "manager":
        return Sequence.objects.all()
    return Sequence.objects.exclude(status=Sequence.Status.DRAFT)


def cell(value, kind):
    if value is None:
        return "—"
    if kind == "percent":
        return f"{number_format(value * 100, 1)} %"
    if kind == "money":
        return f"{number_format(value, 0, force_grouping=True)} {settings.CRM_CURRENCY}"
    return number_format(value, 0, force_grouping=True)


def cells(numbers):
    return [cell(getattr(numbers, name), kind) for name, kind in COLUMNS]


@require_GET
def sequence_numbers(request, sequence_id):
    sequence = get_object_or_404(visible_sequences(request.user), pk=sequence_id)
    report = metrics.step_report(sequence=sequence, user=request.user)
    steps = list(sequence.steps.filter(kind=Step.Kind.EMAIL).select_related("template").order_by("position"))
    rows = [
        (f"{step.position}. {step.template.name if step.template else ''}", cells(report.get(step.pk)))
        for step in steps
    ]
    shown = {step.pk for step in steps}
    if any(key not in shown for key in report.rows):  # e-mails of steps deleted since
        gone = metrics.Numbers()
        for key, numbers in report.rows.items():
            if key not in shown:
                for name, _kind in COLUMNS:
                    if name != "ctr":
                        setattr(gone, name, getattr(gone, name) + getattr(numbers, name))
        rows.append((_("Steps removed since"), cells(gone)))
    return render(
        request,
        "nurturing/_sequence_numbers.html",
        {"sequence": sequence, "rows": rows, "total": cells(report.total)},
    )
