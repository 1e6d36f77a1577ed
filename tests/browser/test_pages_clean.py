"""Every main page loads in Chromium without a console error: no CSP violation (inline
script or style, eval), no failed static file, no JavaScript exception."""

import pytest

from tests import factories


@pytest.fixture
def data(rep, manager):
    deal = factories.DealFactory(owner=rep, title="Clean page deal")
    lead = factories.LeadFactory(owner=rep)
    factories.ActivityFactory(deal=deal)
    factories.NotificationFactory(user=manager, deal=deal)
    return deal, lead


def test_main_pages_have_no_console_errors(page, live_server, login, manager, data):
    deal, lead = data
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    login(page, manager)
    for path in (
        "/board/",
        f"/deals/{deal.pk}/",
        "/leads/",
        f"/leads/{lead.pk}/",
        "/leads/new/",
        "/leads/import/",
        "/activities/",
        "/activities/calendar/?view=week",
        "/activities/calendar/?view=month&scope=team",
        "/notifications/",
        "/dashboard/",
        "/accounts/preferences/",
        "/products/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert not problems, f"{path}: {problems}"


def test_public_lead_form_has_no_console_errors(page, live_server, transactional_db):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    assert page.goto(f"{live_server.url}/forms/lead/").status == 200
    page.wait_for_load_state("networkidle")
    assert not problems
