"""A rep makes a personal access token in the browser, copies it once, and it works against the
API; the list shows it without the secret. No CSP violation and no JavaScript error on the way."""

from playwright.sync_api import expect

from tests import factories
from tests.browser.test_csp import Recorder


def test_a_rep_creates_a_token_copies_it_and_it_opens_the_api(page, live_server, login, transactional_db):
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams")
    login(page, rep)
    recorder = Recorder(page)
    page.goto(f"{live_server.url}/accounts/tokens/")
    page.get_by_label("Name").fill("Billing export")
    page.get_by_role("button", name="Create token").click()

    value = page.get_by_test_id("new-token-value")
    expect(value).to_be_visible()
    raw = value.input_value()
    assert raw.startswith("pcrm_")
    page.get_by_test_id("copy-token").click()
    expect(page.get_by_test_id("copy-token")).to_have_text("Copied")

    answer = page.request.get(f"{live_server.url}/api/v1/deals/", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status == 200 and answer.json()["results"] == []

    page.goto(f"{live_server.url}/accounts/tokens/")
    expect(page.get_by_role("cell", name="Billing export")).to_be_visible()
    assert raw not in page.content()
    assert recorder.problems == []
