"""The German tour in a real browser: the pages whose text JavaScript draws (the board's columns and
dialogs, the dashboard's charts, the calendar, the goals indicator) read in German once the page has
settled, with no English interface text left. The server-side tour (tests/core/test_german_tour.py)
covers every page's HTML; this one reads what Chromium shows after the scripts ran."""

from datetime import timedelta

import pytest
from django.utils import timezone

from activities.models import Activity, Kind
from analytics.models import Goal
from customers.models import Organization
from deals.models import Pipeline, Stage
from tests import factories
from tests.core.german_text import english_left

LAPTOP = {"width": 1366, "height": 768}

# Everything a person reads or hears: the rendered text (innerText, so hidden elements and scripts
# are left out, as a person meets the page) and the attributes the browser shows or speaks.
READ_PAGE = """() => {
  const texts = document.body.innerText.split("\\n");
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], img[alt]")) {
    if (el.closest("[hidden]") || el.closest("template")) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      const value = el.getAttribute(name);
      if (value) texts.push(value);
    }
  }
  return texts.map((text) => text.replace(/\\s+/g, " ").trim()).filter(Boolean);
}"""


@pytest.fixture
def german_rep(transactional_db):
    team = factories.TeamFactory(name="Nord")
    rep = factories.UserFactory(username="anna", first_name="Anna", last_name="Albrecht", team=team, language="de")
    stages = factories.default_stages()
    organization = factories.OrganizationFactory(name="Nordstahl Maschinenbau GmbH")
    deal = factories.DealFactory(
        owner=rep, stage=stages[0], title="Wartungsvertrag Nordstahl", organization=organization
    )
    factories.DealFactory(owner=rep, stage=stages[1], title="Pilotprojekt Südwerk")
    now = timezone.now()
    Activity.objects.create(
        kind=Kind.CALL, subject="Anruf bei Frau Berger", due_at=now + timedelta(hours=2), assignee=rep, deal=deal
    )
    month_start = timezone.localdate().replace(day=1)
    Goal.objects.create(
        user=rep, metric=Goal.Metric.WON_VALUE, period=Goal.Period.MONTH, period_start=month_start, target=50_000
    )
    return rep, deal


def _data_names():
    """Stored names the tour may meet in any language: pipelines, stages and organizations (data
    people name, such as the factories' "Company 1 GmbH")."""
    names = set(Pipeline.objects.values_list("name", flat=True)) | set(Stage.objects.values_list("name", flat=True))
    names |= set(Organization.objects.values_list("name", flat=True))
    return sorted(names, key=len, reverse=True)


@pytest.mark.parametrize(
    "path",
    [
        "/board/",
        "/deals/{deal}/",
        "/deals/",
        "/dashboard/",
        "/activities/",
        "/activities/calendar/",
        "/goals/",
        "/organizations/",
        "/leads/",
    ],
)
def test_a_german_users_page_reads_in_german_after_its_scripts_ran(page, live_server, login, german_rep, path):
    rep, deal = german_rep
    page.set_viewport_size(LAPTOP)
    login(page, rep).goto(live_server.url + path.format(deal=deal.pk))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "de"
    texts = page.evaluate(READ_PAGE)
    assert texts, "the page shows text"
    data = [*_data_names(), "Wartungsvertrag Nordstahl", "Pilotprojekt Südwerk", "Anruf bei Frau Berger"]
    assert english_left(texts, data=data) == []


def test_the_calendar_names_days_and_months_in_german(page, live_server, login, german_rep):
    rep, _deal = german_rep
    page.set_viewport_size(LAPTOP)
    login(page, rep).goto(f"{live_server.url}/activities/calendar/")
    page.wait_for_load_state("networkidle")
    header = page.locator(".fc-col-header").inner_text()
    assert any(day in header for day in ("Mo.", "Di.", "Mi.", "Do.", "Fr.")), header
    assert not any(day in header for day in ("Mon", "Tue", "Wed", "Thu", "Fri")), header
