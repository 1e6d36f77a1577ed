"""The materialized stage visits (analytics.StageVisit): an incremental sync equals a full rebuild,
and the funnel, time in stage and observed probabilities read from them equal the live window
queries over the StageChange history they replaced (kept here as the reference)."""

import random
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from analytics import filters, services
from analytics.models import StageSlot, StageVisit, VisitSync
from analytics.selectors import base, dashboard, forecast, funnel, time_in_stage
from deals.models import MAX_STAGES_PER_PIPELINE, Deal, Pipeline, Stage, StageChange
from tests import factories
from tests.adminforms import pipeline_change_form

# The reference: the live queries over the history, as the dashboard ran them before the visits.

_ENTERING = "(sc.kind IN ('created', 'reopened') OR (sc.kind = 'moved' AND sc.from_stage_id <> sc.to_stage_id))"


def _live_visits_sql(deals):
    sql, params = base.deal_ids_sql(deals)
    return (
        f"""SELECT sc.deal_id, sc.to_stage_id AS stage_id, sc.to_status, sc.at,
               LEAD(sc.at) OVER (PARTITION BY sc.deal_id ORDER BY sc.at, sc.id) AS next_at
        FROM deals_stagechange sc WHERE sc.deal_id IN ({sql})""",  # noqa: S608
        tuple(params),
    )


def live_visit_durations(*, deals, start, end):
    visits, params = _live_visits_sql(deals)
    sql = f"""SELECT v.stage_id, {base.seconds_between("v.at", "v.next_at")} FROM ({visits}) v
        WHERE v.to_status = 'open' AND v.next_at >= %s AND v.next_at < %s"""  # noqa: S608
    durations = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, base.dt(start), base.dt(end)))
        for stage_id, seconds in cursor.fetchall():
            durations[stage_id].append(float(seconds))
    return {stage: sorted(values) for stage, values in durations.items()}


def live_observed(*, deals, now):
    since = now - timedelta(days=forecast.OBSERVED_WINDOW_DAYS)
    deals = deals.filter(status__in=["won", "lost"]).exclude(status="won", won_at__lt=since)
    deals = deals.exclude(status="lost", lost_at__lt=since)
    visits, params = _live_visits_sql(deals)
    sql = f"""SELECT x.stage_id, SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END)
        FROM (SELECT DISTINCT v.deal_id, v.stage_id FROM ({visits}) v
              WHERE v.to_status = 'open' AND v.at < %s AND (v.next_at IS NULL OR v.next_at >= %s)) x
        JOIN deals_deal d ON d.id = x.deal_id GROUP BY x.stage_id"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, base.dt(now), base.dt(since)))
        return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in cursor.fetchall()}


def live_funnel(*, deals, stages, start, end):
    ids_sql, ids_params = base.deal_ids_sql(deals)
    order = connection.ops.quote_name("order")
    marks = ", ".join(["%s"] * len(stages))
    sql = f"""
        WITH later AS (
            SELECT sc.deal_id, sc.to_stage_id, sc.kind, sc.to_status, sc.from_stage_id, sc.at,
                   st.{order} AS stage_order,
                   MAX(CASE WHEN sc.kind = 'won' THEN 1 ELSE 0 END) OVER (
                       PARTITION BY sc.deal_id ORDER BY sc.at, sc.id
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS won_later,
                   MAX(CASE WHEN sc.to_status = 'open' AND st.pipeline_id = %s THEN st.{order} END) OVER (
                       PARTITION BY sc.deal_id ORDER BY sc.at, sc.id
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS max_order_later
            FROM deals_stagechange sc JOIN deals_stage st ON st.id = sc.to_stage_id
            WHERE sc.deal_id IN ({ids_sql}) AND sc.at >= %s
        ),
        entry AS (
            SELECT sc.deal_id, sc.to_stage_id AS stage_id,
                   MAX(CASE WHEN sc.won_later = 1 OR sc.max_order_later > sc.stage_order THEN 1 ELSE 0 END)
                       AS advanced
            FROM later sc
            WHERE sc.to_stage_id IN ({marks}) AND sc.at < %s AND sc.to_status = 'open' AND {_ENTERING}
            GROUP BY sc.deal_id, sc.to_stage_id
        )
        SELECT e.stage_id, COUNT(*), SUM(e.advanced),
               SUM(CASE WHEN e.advanced = 0 AND d.status = 'lost' AND d.lost_from_stage_id = e.stage_id
                        THEN 1 ELSE 0 END)
        FROM entry e JOIN deals_deal d ON d.id = e.deal_id GROUP BY e.stage_id
    """  # noqa: S608
    params = (stages[0].pipeline_id, *ids_params, base.dt(start), *[s.pk for s in stages], base.dt(end))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in cursor.fetchall()}


# Random-ish histories: moves forward and back, moves within a stage, to the other pipeline, wins,
# losses, reopenings, rows at the same instant, and rows written late with an older `at`.


def _change(deal, *, kind, stage, previous, from_status, to_status, at):
    return StageChange.objects.create(
        deal=deal,
        pipeline=stage.pipeline,
        kind=kind,
        from_stage=previous,
        to_stage=stage,
        from_status=from_status,
        to_status=to_status,
        owner=deal.owner,
        value=deal.value,
        at=at,
    )


def random_deal(rng, history, owner, all_stages, late):
    """A deal with 1–9 history rows; some rows go to `late` (written afterwards, older `at`)."""
    pipeline_stages = [s for s in all_stages if s.pipeline_id == all_stages[0].pipeline_id]
    stage = rng.choice(pipeline_stages[:3])
    days = rng.randint(5, 500)
    at = history.at(days) + timedelta(minutes=rng.randint(0, 600))
    deal = Deal.objects.create(
        title="random",
        pipeline=stage.pipeline,
        stage=stage,
        owner=owner,
        value=1000,
        created_at=at,
        stage_entered_at=at,
    )
    rows = [("created", stage, None, "", "open", at)]
    status, previous = "open", stage
    for _ in range(rng.randint(0, 8)):
        if rng.random() < 0.15:
            pass  # the same instant as the row before
        else:
            at = at + timedelta(hours=rng.randint(1, 24 * 60))
        if status != "open":
            stage = rng.choice(all_stages) if rng.random() < 0.3 else previous
            rows.append(("reopened", stage, previous, status, "open", at))
            status = "open"
        else:
            roll = rng.random()
            if roll < 0.15:
                rows.append(("won", previous, previous, "open", "won", at))
                status = "won"
            elif roll < 0.3:
                rows.append(("lost", previous, previous, "open", "lost", at))
                status = "lost"
            else:
                stage = rng.choice(all_stages if roll > 0.9 else pipeline_stages)  # may stay in its stage
                rows.append(("moved", stage, previous, "open", "open", at))
        previous = stage
    written = []
    for row in rows:
        if len(written) > 1 and rng.random() < 0.2:
            late.append((deal, row))
        else:
            written.append(row)
    for kind, stage, previous_stage, from_status, to_status, when in written:
        _change(
            deal, kind=kind, stage=stage, previous=previous_stage, from_status=from_status, to_status=to_status, at=when
        )
    _settle(deal)
    return deal


def _settle(deal):
    """The deal's current state from its last history row (what the services would have left)."""
    last = StageChange.objects.filter(deal=deal).order_by("at", "id").last()
    deal.status, deal.stage = last.to_status, last.to_stage
    deal.won_at = last.at if last.to_status == "won" else None
    deal.lost_at = last.at if last.to_status == "lost" else None
    deal.lost_from_stage = last.to_stage if last.to_status == "lost" else None
    deal.lost_reason = factories.LostReasonFactory() if last.to_status == "lost" else None
    deal.save()


def write_late(late):
    for deal, (kind, stage, previous, from_status, to_status, at) in late:
        _change(deal, kind=kind, stage=stage, previous=previous, from_status=from_status, to_status=to_status, at=at)
        _settle(deal)
    late.clear()


def all_stages():
    return list(Stage.objects.order_by("pipeline__order", "order"))


def visit_rows():
    fields = [f.attname for f in StageVisit._meta.concrete_fields if f.attname != "id"]
    return sorted(StageVisit.objects.values_list(*fields))


@pytest.fixture
def random_history(history, rep, teammate):
    """Three batches of random deals, synced after each, with late rows for earlier deals."""
    rng = random.Random(20261127)
    stages, late = all_stages(), []
    for batch in range(3):
        for i in range(25):
            random_deal(rng, history, rep if i % 2 else teammate, stages, late)
        if batch:
            write_late(late)
        services.visits_sync()
    write_late(late)
    return rng


def test_incremental_sync_equals_a_full_rebuild(random_history):
    services.visits_sync()
    incremental = visit_rows()
    assert len(incremental) == StageChange.objects.filter(to_status="open").count()
    services.visits_sync(rebuild=True)
    assert visit_rows() == incremental
    StageVisit.objects.all().delete()
    VisitSync.objects.all().delete()
    services.visits_sync()  # an empty table without a watermark: builds everything
    assert visit_rows() == incremental


def test_the_visits_give_the_numbers_of_the_live_history(random_history, history):
    deals = Deal.objects.all()
    stages = all_stages()
    for pipeline in Pipeline.objects.all():
        pipeline_stages = [s for s in stages if s.pipeline_id == pipeline.pk]
        for days in (30, 90, 365, 730):
            period = filters.Period.last_days(days, today=history.now.date())
            expected = live_funnel(deals=deals, stages=pipeline_stages, start=period.start, end=period.end)
            actual = funnel.funnel_counts(deals=deals, stages=pipeline_stages, start=period.start, end=period.end)
            assert actual == expected
            assert any(expected.values())
    for days in (30, 90, 182, 365):
        start = history.now - timedelta(days=days)
        expected = live_visit_durations(deals=deals, start=start, end=history.now)
        actual = time_in_stage.visit_durations(deals=deals, start=start, end=history.now)
        assert {stage: sorted(values) for stage, values in actual.items()} == expected
    for now in (history.now, history.now - timedelta(days=100)):
        assert forecast.observed_probabilities(deals=deals, now=now) == live_observed(deals=deals, now=now)
    rep_deals = Deal.objects.filter(owner__username="alice")
    assert forecast.observed_probabilities(deals=rep_deals, now=history.now) == live_observed(
        deals=rep_deals, now=history.now
    )


def funnels(history):
    """Every pipeline's funnel over several periods from the visits, and the same from the live history."""
    deals, stages = Deal.objects.all(), all_stages()
    actual, expected = {}, {}
    for pipeline in Pipeline.objects.all():
        pipeline_stages = [s for s in stages if s.pipeline_id == pipeline.pk]
        for days in (30, 90, 365, 730):
            period = filters.Period.last_days(days, today=history.now.date())
            key = (pipeline.pk, days)
            expected[key] = live_funnel(deals=deals, stages=pipeline_stages, start=period.start, end=period.end)
            actual[key] = funnel.funnel_counts(deals=deals, stages=pipeline_stages, start=period.start, end=period.end)
    return actual, expected


def test_a_reorder_rewrites_no_visit_and_the_funnel_follows_it(random_history, history, django_assert_num_queries):
    services.visits_sync()
    before = visit_rows()
    for _ in range(3):
        for pipeline in Pipeline.objects.all():
            pipeline_stages = list(pipeline.stages.order_by("order", "id"))
            orders = [s.order for s in pipeline_stages]
            random_history.shuffle(orders)
            for stage, order in zip(pipeline_stages, orders, strict=True):
                Stage.objects.filter(pk=stage.pk).update(order=order)
        with django_assert_num_queries(1):  # watermark, newest stage change, stages without a slot
            assert services.visits_sync() == 0
        assert visit_rows() == before
        actual, expected = funnels(history)
        assert actual == expected
        assert any(counts for counts in expected.values())
    services.visits_sync(rebuild=True)  # a full rebuild with the new orders gives the same
    assert visit_rows() == before
    assert funnels(history)[0] == actual


def dashboard_sections(user, now, days):
    cache.clear()
    filterset = filters.DashboardFilter(QueryDict(f"period={days}"), user=user)
    assert filterset.is_valid()
    data = dashboard.dashboard(user=user, filterset=filterset, now=now)
    return {section.name: (section.rows, section.chart) for section in data["sections"]}, data["kpis"]


def test_a_reorder_in_admin_leaves_the_dashboard_as_a_full_rebuild_gives_it(
    random_history, history, client, admin, django_assert_num_queries
):
    services.visits_sync()
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("order", "id"))
    orders = [stage.order for stage in stages]
    new_orders = dict(zip(stages, [orders[2], orders[0], orders[1], *reversed(orders[3:])], strict=True))
    before = {days: dashboard_sections(admin, history.now, days) for days in (90, 365)}
    client.force_login(admin)
    response = client.post(
        reverse("admin:deals_pipeline_change", args=[pipeline.pk]), pipeline_change_form(pipeline, orders=new_orders)
    )
    assert response.status_code == 302
    with django_assert_num_queries(1):  # nothing to rebuild
        assert services.visits_sync() == 0
    after = {days: dashboard_sections(admin, history.now, days) for days in (90, 365)}
    assert after != before  # the funnel follows the new order at once
    services.visits_sync(rebuild=True)
    assert {days: dashboard_sections(admin, history.now, days) for days in (90, 365)} == after
    actual, expected = funnels(history)
    assert actual == expected


def test_a_reorder_changes_who_advanced(history, rep, stages):
    """Created in the first stage, moved to the third: it advanced from the first. With the third
    stage ordered before the first, it no longer did; the visits were not rebuilt in between."""
    history.deal(owner=rep, steps=[(20, stages[0]), (10, stages[2])])
    period = filters.Period.last_days(90, today=history.now.date())
    deals = Deal.objects.all()

    def first_stage():
        return funnel.funnel_counts(deals=deals, stages=stages, start=period.start, end=period.end)[stages[0].pk]

    assert first_stage() == (1, 1, 0)
    Stage.objects.filter(pk=stages[2].pk).update(order=0)
    assert services.visits_sync() == 0
    assert first_stage() == (1, 0, 0)


def test_a_second_sync_is_a_no_op_of_one_query(random_history, django_assert_num_queries):
    services.visits_sync()
    before = visit_rows()
    with django_assert_num_queries(1):  # watermark, newest stage change, stages without a slot
        assert services.visits_sync() == 0
    assert visit_rows() == before


def test_a_new_stage_change_closes_the_open_visit_at_once(history, rep, admin, stages):
    deal = history.deal(owner=rep, steps=[(20, stages[0])])

    def time_in_stage():
        query = QueryDict(mutable=True)
        filterset = filters.DashboardFilter(query, user=admin)
        assert filterset.is_valid()
        data = dashboard.dashboard(user=admin, filterset=filterset, now=history.now)
        section = next(s for s in data["sections"] if s.name == "time_in_stage")
        return section.rows[0][1], section.rows[0][3]  # completed visits and their median days

    assert time_in_stage() == (0, None)
    _change(
        deal, kind="moved", stage=stages[1], previous=stages[0], from_status="open", to_status="open", at=history.at(5)
    )
    assert time_in_stage() == (1, 15.0)
    visit = StageVisit.objects.get(deal=deal, stage=stages[0])
    assert (visit.left_at, visit.left_change_id) == (history.at(5), StageChange.objects.latest("id").pk)
    assert StageVisit.objects.get(deal=deal, stage=stages[1]).left_at is None


def test_won_lost_and_reopened_rows(history, rep, stages):
    """A won or lost row closes the open visit and opens none; a reopening opens an entering visit,
    even into the stage the deal was lost from."""
    deal = history.deal(owner=rep, steps=[(30, stages[0]), (20, stages[1])], outcome=("lost", 10))
    _change(
        deal,
        kind="reopened",
        stage=stages[1],
        previous=stages[1],
        from_status="lost",
        to_status="open",
        at=history.at(5),
    )
    services.visits_sync()
    visits = list(StageVisit.objects.filter(deal=deal).order_by("entered_at"))
    assert [(v.stage_id, v.entering, v.left_at) for v in visits] == [
        (stages[0].pk, True, history.at(20)),
        (stages[1].pk, True, history.at(10)),
        (stages[1].pk, True, None),
    ]
    assert [v.next_visit_at for v in visits] == [None, history.at(5), None]
    assert [v.previous_entry_at for v in visits] == [None, None, history.at(20)]
    assert not any(v.won_later for v in visits)


def test_the_management_command_rebuilds(random_history):
    from django.core.management import call_command

    services.visits_sync()
    before = visit_rows()
    StageVisit.objects.all().delete()
    call_command("sync_visits", verbosity=0)  # nothing new since the watermark: nothing to do
    assert visit_rows() == []
    call_command("sync_visits", "--rebuild", verbosity=0)
    assert visit_rows() == before


def test_a_new_stage_gets_a_slot_and_keeps_the_visits(random_history, history, django_assert_num_queries):
    services.visits_sync()
    before = visit_rows()
    pipeline = Pipeline.objects.order_by("order").first()
    new_stage = Stage.objects.create(pipeline=pipeline, name="Late addition", order=99, probability=90)
    assert services.visits_sync() == 0
    assert visit_rows() == before
    slots = StageSlot.objects.filter(pipeline=pipeline)
    assert slots.get(stage=new_stage).slot == max(slots.exclude(stage=new_stage).values_list("slot", flat=True)) + 1
    with django_assert_num_queries(1):
        assert services.visits_sync() == 0
    deal = Deal.objects.filter(pipeline=pipeline, status="open").order_by("id").first()
    _change(
        deal, kind="moved", stage=new_stage, previous=deal.stage, from_status="open", to_status="open", at=history.at(1)
    )
    _settle(deal)
    actual, expected = funnels(history)
    assert actual == expected


def test_a_deleted_stage_frees_its_slot(random_history, history):
    services.visits_sync()
    pipeline = Pipeline.objects.order_by("order").first()
    unused = Stage.objects.create(pipeline=pipeline, name="Unused", order=98, probability=90)
    services.visits_sync()
    freed = StageSlot.objects.get(stage=unused).slot
    unused.delete()
    assert not StageSlot.objects.filter(slot=freed, pipeline=pipeline).exists()
    replacement = Stage.objects.create(pipeline=pipeline, name="Replacement", order=97, probability=90)
    services.visits_sync()
    assert StageSlot.objects.get(stage=replacement).slot == freed
    actual, expected = funnels(history)
    assert actual == expected


def test_a_stage_moved_to_another_pipeline_rebuilds_the_visits(random_history, history):
    services.visits_sync()
    first, second = Pipeline.objects.order_by("order")[:2]
    stage = first.stages.order_by("order").last()
    assert StageVisit.objects.filter(stage=stage).exists()
    Stage.objects.filter(pk=stage.pk).update(pipeline=second, order=99)
    assert services.visits_sync() == StageVisit.objects.count() > 0
    assert StageSlot.objects.get(stage=stage).pipeline == second
    actual, expected = funnels(history)
    assert actual == expected


def test_a_stage_past_the_limit_gets_no_slot_and_the_sync_goes_on(db):
    pipeline = factories.PipelineFactory()
    Stage.objects.bulk_create(  # past model validation, as a script could
        Stage(pipeline=pipeline, name=f"Stage {n}", order=n, probability=10) for n in range(MAX_STAGES_PER_PIPELINE + 1)
    )
    services.visits_sync()
    slots = StageSlot.objects.filter(pipeline=pipeline)
    assert sorted(slots.values_list("slot", flat=True)) == list(range(MAX_STAGES_PER_PIPELINE))
    assert not slots.filter(stage__name=f"Stage {MAX_STAGES_PER_PIPELINE}").exists()


def test_duration_stats_equal_the_percentiles_of_the_durations(random_history, history):
    """On PostgreSQL percentile_cont computes them in the query: the same numbers as in Python."""
    deals = Deal.objects.filter(owner__username="alice")
    for days in (30, 90, 182, 730):
        start = history.now - timedelta(days=days)
        durations = live_visit_durations(deals=deals, start=start, end=history.now)
        expected = {
            stage: (len(values), base.percentile(values, 0.5), base.percentile(values, 0.75))
            for stage, values in durations.items()
        }
        assert time_in_stage.visit_duration_stats(deals=deals, start=start, end=history.now) == expected
        assert expected
