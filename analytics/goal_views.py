"""The goals page, its add/edit/delete forms and the board's compact goals indicator.

Every signed-in user sees the goals in their scope (analytics.goals.visible_goals_q); managers
and admins set them. A goal out of the viewer's scope answers 404, a visible goal the viewer may
not change 403. htmx requests get the `goals-body` partial; other POSTs redirect to the page.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from analytics import filters, goal_forms, goals
from analytics.models import Goal
from analytics.selectors import goals as goal_selectors

PAGE = "analytics/goals.html"
INDICATOR = "analytics/goals_mine.html"
DASHBOARD_SECTION = "analytics/_dashboard_goals.html"


def _page_context(request, *, picker, form=None, editing=None):
    day = picker.day()
    periods = goals.current_and_next_periods(day)
    listed = goal_selectors.goals_in_periods(viewer=request.user, periods=periods)
    progress = goal_selectors.progress(listed, viewer=request.user)
    may_set = goals.may_set_goals(request.user)
    groups = [
        {"period": period, "rows": [row for row in progress if row.period == period]}
        for period in sorted(periods, key=lambda p: (p.period, p.first_day))
    ]
    for row in progress:
        row.changeable = goals.may_set_goal_for(request.user, user=row.goal.user, team=row.goal.team)
    if may_set and form is None:
        form = goal_forms.GoalForm(actor=request.user)
    return {
        "picker": picker,
        "day": day,
        "groups": groups,
        "form": form,
        "editing": editing,
        "may_set": may_set,
        "query": request.GET.urlencode(),
    }


def _render_page(request, *, status=200, **kwargs):
    picker = goal_forms.PeriodPickerForm(request.GET)
    if not picker.is_valid():
        picker = goal_forms.PeriodPickerForm({})
        picker.is_valid()
        status = 400
    template = f"{PAGE}#goals-body" if request.htmx else PAGE
    return render(request, template, _page_context(request, picker=picker, **kwargs), status=status)


@require_safe
def goals_page(request):
    """The goals of the chosen month's month and quarter and of the ones after them, with progress."""
    return _render_page(request)


def _visible_goal(request, goal_id):
    return get_object_or_404(
        Goal.objects.select_related("user", "team").filter(goals.visible_goals_q(request.user)), pk=goal_id
    )


def _changeable_goal(request, goal_id):
    goal = _visible_goal(request, goal_id)
    if not goals.may_set_goal_for(request.user, user=goal.user, team=goal.team):
        raise PermissionDenied
    return goal


def _after_write(request):
    if request.htmx:
        return _render_page(request)
    return redirect(f"{reverse('analytics:goals')}?{request.GET.urlencode()}".rstrip("?"))


def _save(request, form, write):
    """Run the service; its validation errors become the form's (a duplicate, a bad start day)."""
    try:
        write(**form.service_arguments())
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.error_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error)
        return False
    return True


@require_POST
def goal_new(request):
    if not goals.may_set_goals(request.user):
        raise PermissionDenied
    form = goal_forms.GoalForm(request.POST, actor=request.user)
    if form.is_valid() and _save(request, form, lambda **values: goals.goal_create(actor=request.user, **values)):
        return _after_write(request)
    return _render_page(request, form=form, status=400)


def goal_edit(request, goal_id):
    """GET: the page with the goal in the form; POST: save it."""
    goal = _changeable_goal(request, goal_id)
    if request.method == "POST":
        form = goal_forms.GoalForm(request.POST, actor=request.user, goal=goal)
        write = lambda **values: goals.goal_update(actor=request.user, goal=goal, **values)  # noqa: E731
        if form.is_valid() and _save(request, form, write):
            return _after_write(request)
        goal.refresh_from_db()
        return _render_page(request, form=form, editing=goal, status=400)
    form = goal_forms.GoalForm(actor=request.user, goal=goal)
    return _render_page(request, form=form, editing=goal)


@require_POST
def goal_delete(request, goal_id):
    goal = _changeable_goal(request, goal_id)
    goals.goal_delete(actor=request.user, goal=goal)
    return _after_write(request)


@require_safe
def goals_mine(request):
    """The board header's indicator: the viewer's own goals of the current month and quarter."""
    return render(request, INDICATOR, {"progress": goal_selectors.my_goals(viewer=request.user)})


@require_safe
def dashboard_goals(request):
    """The dashboard's goals section, loaded by the dashboard under its own filters (the owner and
    team filters apply; bad filters answer 400 with the dashboard's message)."""
    filterset = filters.DashboardFilter(request.GET, user=request.user)
    if not filterset.is_valid():
        return render(request, DASHBOARD_SECTION, {"filterset": filterset, "goals": None}, status=400)
    progress = goal_selectors.dashboard_goals(viewer=request.user, criteria=filterset.criteria())
    return render(request, DASHBOARD_SECTION, {"filterset": filterset, "goals": progress})
