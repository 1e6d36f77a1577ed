"""docs/metrics.md, "Drill-down": the time-in-stage figures of completed visits open the deals of
those visits; the list states the number of visits, which equals the figure (a deal may have several)."""

from tests.analytics.dashboards import dashboard_for, section


def test_completed_visits_list_the_deals_of_the_visits_counted(history, client, manager, rep, outsider, stages):
    s0, s1, s2 = stages[:3]
    history.deal(owner=rep, steps=[(30, s0), (25, s1), (20, s0), (15, s1)])  # two visits to S0, one to S1
    history.deal(owner=rep, steps=[(30, s0), (10, s1), (5, s2)])
    history.deal(owner=rep, steps=[(30, s0)], outcome=("lost", 3))
    history.deal(owner=rep, steps=[(300, s0), (200, s1)])  # left S0 before the period
    history.deal(owner=outsider, steps=[(30, s0), (10, s1)])  # another team's
    client.force_login(manager)
    table = section(dashboard_for(manager, now=history.now), "time_in_stage")
    assert [row[1] for row in table.rows[:3]] == [4, 2, 0]
    for index, row in enumerate(table.rows):
        if not row[1]:
            assert (index, 1) not in table.cell_links
            continue
        for column in (1, 2, 3, 4):
            assert table.cell_links[(index, column)] == table.cell_links[(index, 1)]
        result = client.get(table.cell_links[(index, 1)]).context["result"]
        assert result.visits == row[1]
        assert result.count == {0: 3, 1: 2}[index]  # the deals behind them
    assert table.chart_links[0][0] == table.cell_links[(0, 1)]
