"""Computing the dashboard in tests, as the view does."""

from django.http import QueryDict

from analytics import filters
from analytics.selectors import dashboard


def dashboard_for(user, now=None, **params):
    query = QueryDict(mutable=True)
    query.update(params)
    filterset = filters.DashboardFilter(query, user=user)
    assert filterset.is_valid(), filterset.errors
    return dashboard.dashboard(user=user, filterset=filterset, now=now)


def section(data, name):
    return next(s for s in data["sections"] if s.name == name)
