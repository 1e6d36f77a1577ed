"""Every dashboard CSV defuses spreadsheet formulas in its text cells (stage, pipeline and
lost-reason names from admin, campaigns from the public web form, people's names) and keeps
its numbers numeric."""

import csv
import io
import re

import pytest
from django.urls import reverse

from analytics.selectors import dashboard
from deals.models import Pipeline
from tests import factories
from tests.csvpayloads import PAYLOADS, dangerous

PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _csv(client, section):
    response = client.get(reverse("analytics:export", args=[section]))
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel then reads UTF-8 (stage names have umlauts in German)
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def poisoned(history, admin, rep, stages):
    """Every free-text value a dashboard table shows, set to one payload."""

    def build(payload):
        pipeline = stages[0].pipeline
        Pipeline.objects.filter(pk=pipeline.pk).update(name=payload)
        stages[0].name = payload
        stages[0].save(update_fields=["name"])
        rep.first_name, rep.last_name = payload, ""
        rep.save(update_fields=["first_name", "last_name"])
        reason = factories.LostReasonFactory(name=payload)
        won = history.deal(owner=rep, steps=[(30, stages[0]), (20, stages[1])], value="1234.50", outcome=("won", 5))
        history.deal(owner=rep, steps=[(30, stages[0])], value="900", outcome=("lost", 3), lost_reason=reason)
        history.deal(owner=rep, steps=[(10, stages[0])], value="500")
        factories.LeadFactory(owner=rep, source="web_form", campaign=payload)
        factories.ActivityFactory(deal=won, assignee=rep, done_at=history.now)

    return build


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_dashboard_export_writes_a_live_formula(poisoned, client, admin, payload):
    poisoned(payload)
    client.force_login(admin)
    # People's names are shown trimmed ("  @SUM(1+1)" becomes "@SUM(1+1)"; a bare tab the username).
    defused = ("'" + payload, "'" + payload.strip() if payload.strip() else "'" + payload)
    seen_in = set()
    for section in dashboard.SECTIONS:
        for row in _csv(client, section):
            for value in row:
                assert not dangerous(value) or PLAIN_NUMBER.fullmatch(value), (section, value)
                if value.startswith(defused):
                    seen_in.add(section)
    # The payload reached every table that shows free text, and came out defused there.
    expected = {"funnel", "calibration", "time_in_stage", "lost_reasons", "lead_sources"}
    assert seen_in >= (expected | {"activities"} if payload.strip() else expected)


def test_dashboard_money_and_shares_stay_plain_numbers(poisoned, client, admin):
    poisoned("Plain")
    client.force_login(admin)
    header, *rows = _csv(client, "lost_reasons")
    assert rows == [["Plain", "Plain", "Plain", "1", "900.00"]]
    header, *rows = _csv(client, "funnel")
    funnel = dict(zip(header, rows[0], strict=True))
    assert (funnel["Stage"], funnel["Entered"], funnel["Conversion"]) == ("Plain", "3", "0.3333")
