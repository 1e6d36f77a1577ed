import pytest
from django.core.cache import cache

from leads.models import Lead, LeadStatusChange, WebFormSettings
from tests import factories

URL = "/forms/lead/"
GOOD = {
    "first_name": "Wendy",
    "last_name": "Web",
    "company_name": "Webshop GmbH",
    "email": "wendy@webshop.example",
    "phone": "+49 40 123",
    "message": "Please call me.",
    "consent": "on",
    "campaign": "",
    "website": "",
}


IPS = ("127.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.8", "10.0.0.9")


@pytest.fixture(autouse=True)
def _reset_rate_limit():
    # Only our counters: in CI the cache is a Redis shared with the rest of the suite.
    keys = [f"leads:webform:{ip}" for ip in IPS]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def test_form_page_is_public(client, db):
    response = client.get(URL, {"campaign": "spring-webinar"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="website"' in html  # the honeypot is in the page
    assert 'value="spring-webinar"' in html


def test_submission_creates_a_web_form_lead_and_thanks(client, db):
    response = client.post(URL, {**GOOD, "campaign": "spring-webinar"})
    assert response.status_code == 302
    assert response["Location"] == "/forms/lead/thanks/"
    lead = Lead.objects.get()
    assert (lead.source, lead.campaign, lead.email, lead.company_name) == (
        "web_form",
        "spring-webinar",
        "wendy@webshop.example",
        "Webshop GmbH",
    )
    assert lead.consent and lead.consent_at is not None
    row = LeadStatusChange.objects.get(lead=lead)
    assert (row.from_status, row.to_status, row.actor) == ("", "new", None)
    assert client.get(response["Location"]).status_code == 200


def test_submission_goes_to_the_default_owner(client, rep):
    WebFormSettings.objects.update_or_create(pk=1, defaults={"default_owner": rep})
    client.post(URL, GOOD)
    assert Lead.objects.get().owner == rep


def test_without_configuration_the_lead_stays_unassigned(client, db):
    client.post(URL, GOOD)
    assert Lead.objects.get().owner is None


def test_round_robin_rotates_across_the_team(client, rep, teammate, team_north):
    inactive = factories.UserFactory(username="zed", team=team_north, is_active=False)
    WebFormSettings.objects.update_or_create(pk=1, defaults={"round_robin_team": team_north, "default_owner": None})
    for i in range(3):
        client.post(URL, {**GOOD, "email": f"w{i}@web.example"})
    owners = list(Lead.objects.order_by("pk").values_list("owner__username", flat=True))
    assert owners == ["alice", "bob", "alice"]
    assert inactive.username not in owners


def test_honeypot_filled_pretends_success_and_stores_nothing(client, db):
    response = client.post(URL, {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 302
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address"),
        ("last_name", "", "This field is required"),
        ("consent", "", "We can only reply if you agree"),
    ],
)
def test_bad_input_rerenders_with_messages_and_saves_nothing(client, db, field, value, message):
    data = {**GOOD, field: value}
    if field == "consent":
        data.pop("consent")
    response = client.post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Lead.objects.count() == 0


def test_rate_limit_per_ip(client, db, settings):
    settings.LEADS_WEBFORM_RATE_LIMIT = 2
    assert client.post(URL, {**GOOD, "email": "a@x.example"}, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(URL, {**GOOD, "email": "b@x.example"}, REMOTE_ADDR="10.0.0.1").status_code == 302
    blocked = client.post(URL, {**GOOD, "email": "c@x.example"}, REMOTE_ADDR="10.0.0.1")
    assert blocked.status_code == 429
    assert "Too many submissions" in blocked.content.decode()
    assert client.post(URL, {**GOOD, "email": "d@x.example"}, REMOTE_ADDR="10.0.0.2").status_code == 302
    assert sorted(Lead.objects.values_list("email", flat=True)) == ["a@x.example", "b@x.example", "d@x.example"]


def test_rate_limit_ignores_a_spoofed_forwarded_for_by_default(client, db, settings):
    # Published directly (no trusted proxy): X-Forwarded-For is the client's own text.
    settings.LEADS_WEBFORM_RATE_LIMIT = 1
    first = client.post(URL, {**GOOD, "email": "a@x.example"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.8")
    again = client.post(URL, {**GOOD, "email": "b@x.example"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.9")
    assert (first.status_code, again.status_code) == (302, 429)
    assert list(Lead.objects.values_list("email", flat=True)) == ["a@x.example"]


def test_rate_limit_behind_one_trusted_proxy_counts_the_entry_the_proxy_appended(client, db, settings):
    settings.LEADS_WEBFORM_RATE_LIMIT = 1
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    client.post(URL, {**GOOD, "email": "a@x.example"}, HTTP_X_FORWARDED_FOR="10.0.0.9", **proxy)
    other_client = client.post(URL, {**GOOD, "email": "b@x.example"}, HTTP_X_FORWARDED_FOR="10.0.0.8", **proxy)
    same_client = client.post(URL, {**GOOD, "email": "c@x.example"}, HTTP_X_FORWARDED_FOR="10.0.0.9", **proxy)
    assert (other_client.status_code, same_client.status_code) == (302, 429)


def test_rate_limit_behind_one_proxy_is_not_escaped_by_a_spoofed_leftmost_entry(client, db, settings):
    settings.LEADS_WEBFORM_RATE_LIMIT = 1
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    client.post(URL, {**GOOD, "email": "a@x.example"}, HTTP_X_FORWARDED_FOR="10.0.0.9", **proxy)
    # The client sends its own X-Forwarded-For; the proxy appends the real address after it.
    spoofed = client.post(URL, {**GOOD, "email": "b@x.example"}, HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9", **proxy)
    assert spoofed.status_code == 429
    assert Lead.objects.count() == 1


def test_csrf_is_enforced(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, GOOD)
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_form_page_sends_the_strict_csp_header(client, db):
    response = client.get(URL)
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
