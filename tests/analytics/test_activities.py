"""docs/metrics.md, "Activities": activities completed in the period per rep and kind."""

from datetime import timedelta

from tests import factories
from tests.analytics.dashboards import dashboard_for, section


def test_activities_per_rep_and_kind(history, rep, teammate, manager, stages):
    deal = history.deal(owner=rep, steps=[(5, stages[0])])
    factories.ActivityFactory(deal=deal, assignee=rep, kind="call", done_at=history.now - timedelta(days=1))
    factories.ActivityFactory(deal=deal, assignee=rep, kind="call", done_at=history.now - timedelta(days=2))
    factories.ActivityFactory(deal=deal, assignee=teammate, kind="meeting", done_at=history.now - timedelta(days=2))
    factories.ActivityFactory(deal=deal, assignee=rep, kind="email")  # not done
    rows = section(dashboard_for(manager), "activities").rows
    assert rows == [["Alice Adams", 2, 0, 0, 0, 0, 2], ["Bob Brown", 0, 0, 1, 0, 0, 1]]
