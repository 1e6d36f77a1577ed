"""Zero Content Security Policy violations on a tour of every page of the product, in real
Chromium, with DEBUG off (production) and on (`make run`).

The policy (settings.SECURE_CSP) allows scripts from our origin or with the request's nonce
and styles only from our origin: no inline `<style>`, no `style=` attribute, no eval. The
browser reports each violation as a `securitypolicyviolation` event (recorded by a script
that Playwright adds to every document before the page's own) and as a console error; the
tour counts both, plus uncaught JavaScript errors.

The tour: the public lead form (with errors, then sent) and the login page with a real login;
the board with a drag, the "Move to…" dialog, the lost dialog, quick add, "load more" and a
filter undone with the browser's back button; the deal page with its activity panel; the lead
list (searched, then back), a lead qualified through htmx and then refused (404) because it
went to another team meanwhile, the conversion page, the lead form and a CSV import's preview;
activities (one edited in place, one marked done); notifications; preferences; the dashboard
with its charts, a filter and back; the admin's index, a changelist, a change form with date
widgets, an add form and a change form with inlines.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import User
from analytics import services as analytics_services
from deals import defaults
from deals.models import LostReason, Pipeline, Stage
from leads.models import Lead
from tests import factories
from tests.analytics.conftest import HistoryBuilder, noon_today

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation({
    page: location.pathname,
    directive: e.effectiveDirective,
    blocked: e.blockedURI,
    source: e.sourceFile + ":" + e.lineNumber,
    sample: e.sample
  });
}, true);
"""


@pytest.fixture
def world(transactional_db):
    # transactional_db flushes the tables after each test, the migrated pipelines included.
    cache.clear()
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    outsider = factories.UserFactory(username="charlie", team=factories.TeamFactory(name="South"))
    manager = factories.UserFactory(username="maria", first_name="Maria", last_name="Miller", role="manager")
    north.managers.add(manager)
    admin = factories.UserFactory(username="ada", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    stages = factories.default_stages()
    factories.LostReasonFactory(name="Price too high")
    # A full first column (more than one page of cards) and a deal to drag from the second.
    for n in range(27):
        factories.DealFactory(owner=rep, stage=stages[0], title=f"Column filler {n:02d}")
    dragged = factories.DealFactory(owner=rep, stage=stages[1], title="Dragged deal")
    lost = factories.DealFactory(owner=rep, stage=stages[1], title="Lost deal")
    deal = factories.DealFactory(owner=rep, stage=stages[2], title="Visited deal")
    factories.ActivityFactory(deal=deal, subject="Call the buyer", due_at=noon_today() - timedelta(hours=1))
    factories.NotificationFactory(user=rep, deal=deal, message="Reminder: call the buyer")
    lead = factories.LeadFactory(owner=rep, company_name="Toured GmbH", status=Lead.Status.CONTACTED)
    qualified_lead = factories.LeadFactory(owner=rep, status=Lead.Status.QUALIFIED)
    # Dashboard history: a funnel with a win and a loss, rolled up for the charts.
    now = noon_today()
    history = HistoryBuilder(now)
    history.deal(owner=rep, steps=[(20, stages[0]), (10, stages[1])], value="1000")
    history.deal(owner=rep, steps=[(20, stages[0])], value="2000", outcome=("won", 5))
    history.deal(owner=rep, steps=[(20, stages[0])], value="3000", outcome=("lost", 5))
    analytics_services.snapshot_rollup_day(day=now.date())
    return {
        "rep": rep,
        "outsider": outsider,
        "manager": manager,
        "admin": admin,
        "stages": stages,
        "dragged": dragged,
        "lost": lost,
        "deal": deal,
        "lead": lead,
        "qualified_lead": qualified_lead,
    }


class Recorder:
    def __init__(self, page):
        self.problems = []
        page.expose_binding("__cspViolation", lambda _source, report: self.problems.append(("violation", report)))
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(("javascript error", str(error))))

    def _console(self, message):
        # Chromium logs each refusal as "Refused to … because it violates the following
        # Content Security Policy directive". (Other console errors, such as the 404 of the
        # /favicon.ico that Chromium asks the admin pages for, are not this test's business.)
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(("console", message.text))


def column(page, stage):
    return page.locator(f'section.board-column[data-stage-id="{stage.pk}"]')


def card(page, deal):
    return page.locator(f'li.deal-card[data-deal-id="{deal.pk}"]')


def drag(page, source, target):
    """SortableJS needs real mouse steps (Playwright's drag_to does not register)."""
    grip = source.locator(".deal-org").bounding_box()
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5, steps=2)
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=20)
    page.mouse.up()


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, f"{url} answered {response.status}"
    page.wait_for_load_state("networkidle")


def tour_public_pages(page, base):
    visit(page, f"{base}/forms/lead/")
    page.get_by_role("button", name="Send").click()  # empty: the form shows its errors
    expect(page.locator(".form-errors").first).to_be_visible()
    page.get_by_label("Last name").fill("Visitor")
    page.locator("#id_email").fill("visitor@example.com")
    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    visit(page, f"{base}/accounts/login/")


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/board/")
    page.wait_for_load_state("networkidle")


def tour_board(page, base, world):
    stages = world["stages"]
    visit(page, f"{base}/board/")
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        drag(page, card(page, world["dragged"]), column(page, stages[2]).locator(".card-list"))
    assert answer.value.status == 200
    expect(column(page, stages[2]).locator(f'[data-deal-id="{world["dragged"].pk}"]')).to_be_visible()

    dialog = page.locator("#board-dialog")
    card(page, world["deal"]).get_by_role("link", name="Move to…").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Stage").select_option(str(stages[4].pk))
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(column(page, stages[4]).locator(f'[data-deal-id="{world["deal"].pk}"]')).to_be_visible()

    card(page, world["lost"]).get_by_role("link", name="Lost…").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why was it lost?").select_option(label="Price too high")
    dialog.get_by_role("button", name="Mark as lost").click()
    expect(card(page, world["lost"])).to_have_count(0)

    first = column(page, stages[0])
    first.locator(".quick-add summary").click()
    first.get_by_label("Title").fill("Quick deal")
    first.get_by_role("button", name="Add", exact=True).click()
    expect(first.get_by_role("link", name="Quick deal", exact=True)).to_be_visible()

    cards_before = first.locator("li.deal-card").count()
    first.get_by_role("button", name="Load more").click()
    expect(first.locator("li.deal-card")).not_to_have_count(cards_before)

    # A filter applies as it is typed and is pushed to the browser's history; going back restores the board.
    page.locator("main").get_by_role("searchbox").fill("Column filler")
    expect(page).to_have_url(re.compile(r"q=Column"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"q=Column"))
    expect(card(page, world["deal"])).to_be_visible()


def tour_records(page, base, world):
    visit(page, f"{base}/deals/{world['deal'].pk}/")
    expect(page.get_by_text("Call the buyer").first).to_be_visible()

    visit(page, f"{base}/leads/")
    page.locator("main").get_by_role("searchbox").fill("Toured")
    expect(page).to_have_url(re.compile(r"q=Toured"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"q=Toured"))
    # The header's search: its dropdown (htmx) and the results page.
    page.get_by_test_id("global-search").fill("Toured")
    expect(page.get_by_test_id("global-search-results").get_by_test_id("search-results")).to_be_visible()
    visit(page, f"{base}/search/?q=Toured")
    visit(page, f"{base}/leads/{world['lead'].pk}/")
    qualification = page.locator("#qualification")
    qualification.locator("select").first.select_option(index=2)
    with page.expect_response(lambda r: "/qualify/" in r.url):
        qualification.get_by_role("button", name="Save qualification").click()
    # Meanwhile the lead went to another team: the next save is refused with a 404 (with DEBUG
    # on, Django's technical 404 page, which django-htmx's debug script would put in the page).
    Lead.objects.filter(pk=world["lead"].pk).update(owner=world["outsider"])
    with page.expect_response(lambda r: "/qualify/" in r.url) as refused:
        qualification.get_by_role("button", name="Save qualification").click()
    assert refused.value.status == 404
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # the page is still ours
    visit(page, f"{base}/leads/{world['qualified_lead'].pk}/convert/")
    visit(page, f"{base}/leads/new/")
    visit(page, f"{base}/leads/import/")
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": b"last_name,email\nImported,imp@example.com\n"}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("imp@example.com").first).to_be_visible()

    visit(page, f"{base}/activities/")
    page.get_by_role("link", name="Edit / reschedule").first.click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.get_by_role("link", name="Cancel").first.click()
    with page.expect_response(lambda r: "/done/" in r.url):
        page.get_by_role("button", name="Mark done").first.click()
    visit(page, f"{base}/notifications/")
    visit(page, f"{base}/accounts/preferences/")


def tour_dashboard(page, base):
    visit(page, f"{base}/dashboard/")
    expect(page.locator('canvas[data-chart="chart-funnel"]')).to_have_attribute("data-drawn", "6")
    page.get_by_label("Period").select_option("90")  # an htmx swap of the charts, pushed to the history
    expect(page).to_have_url(re.compile(r"period=90"))
    expect(page.locator('canvas[data-chart="chart-funnel"]')).to_have_attribute("data-drawn", "6")
    page.go_back()  # back to the page before the filter, charts drawn again
    expect(page).not_to_have_url(re.compile(r"period=90"))
    expect(page.locator('canvas[data-chart="chart-funnel"]')).to_have_attribute("data-drawn", "6")


def tour_admin(page, base, world):
    visit(page, f"{base}/admin/")
    visit(page, f"{base}/admin/deals/deal/")
    visit(page, f"{base}/admin/deals/deal/{world['deal'].pk}/change/")
    visit(page, f"{base}/admin/activities/activity/add/")
    visit(page, f"{base}/admin/deals/pipeline/{world['stages'][0].pipeline_id}/change/")


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_tour_of_every_page_records_no_csp_violation(page, live_server, settings, world, debug):
    settings.DEBUG = debug
    recorder = Recorder(page)
    base = live_server.url

    tour_public_pages(page, base)
    log_in(page, base, "alice")
    tour_board(page, base, world)
    tour_records(page, base, world)
    page.context.clear_cookies()
    log_in(page, base, "maria")
    tour_dashboard(page, base)
    page.context.clear_cookies()
    log_in(page, base, "ada")
    tour_admin(page, base, world)

    assert not recorder.problems, "\n".join(f"{kind}: {detail}" for kind, detail in recorder.problems)
