"""/api/v1/webhooks: subscriptions (own; an admin's cover everyone's), the secret returned
on create and from …/secret, SSRF refusals as 422 problems, the delivery log."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiToken
from events.models import OutboxEvent
from tests.api.helpers import ApiClient, is_problem
from webhooks import services
from webhooks.models import Attempt, Delivery, Subscription

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/crm"
BASE = "/api/v1/webhooks/"


def subscribe(owner, url=PUBLIC, **kwargs):
    subscription, _secret = services.subscription_create(actor=owner, url=url, events=["deal.won"], **kwargs)
    return subscription


def test_create_returns_the_secret_once_and_it_can_be_read_again(rep):
    api = ApiClient(rep)
    response = api.post(BASE, {"url": PUBLIC, "events": ["deal.won", "deal.lost"], "description": "ERP"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert response["Cache-Control"] == "no-store"
    assert body["events"] == ["deal.won", "deal.lost"]
    assert body["owner"]["id"] == rep.pk and body["status"] == "active"
    read = api.get(f"{BASE}{body['id']}").json()
    assert "secret" not in read and read["url"] == PUBLIC
    secret = api.get(f"{BASE}{body['id']}/secret")
    assert secret.json() == {"secret": body["secret"]} and secret["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:8000/hook",
    ],
)
def test_a_private_target_is_a_422_naming_the_url(rep, url):
    body = is_problem(ApiClient(rep).post(BASE, {"url": url, "events": ["deal.won"]}), 422)
    assert body["errors"][0]["field"] == "url"
    assert "private or local network" in body["errors"][0]["message"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "https://user:pw@93.184.216.34/", "events": ["deal.won"]}, "url"),
        ({"url": "ftp://93.184.216.34/", "events": ["deal.won"]}, "url"),
        ({"url": "", "events": ["deal.won"]}, "url"),
        ({"url": "x" * 5000, "events": ["deal.won"]}, "url"),
        ({"url": PUBLIC, "events": []}, "events"),
        ({"url": PUBLIC, "events": ["deal.stolen"]}, "events.0"),
        ({"url": PUBLIC, "events": "deal.won"}, "events"),
        ({"url": PUBLIC, "events": ["deal.won"], "description": "d" * 201}, "description"),
        ({"url": 12, "events": ["deal.won"]}, "url"),
        ({"events": ["deal.won"]}, "url"),
    ],
)
def test_bad_input_is_a_422_problem(rep, payload, field):
    body = is_problem(ApiClient(rep).post(BASE, payload), 422)
    assert field in {error["field"] for error in body["errors"]}, body


def test_only_an_admin_may_allow_a_private_network(rep, admin):
    payload = {"url": "http://10.0.0.5/hook", "events": ["deal.won"], "allow_private_network": True}
    is_problem(ApiClient(rep).post(BASE, payload), 403)
    response = ApiClient(admin).post(BASE, payload)
    assert response.status_code == 201 and response.json()["allow_private_network"] is True


def test_the_list_is_ones_own_and_an_admins_is_everyones(rep, teammate, admin):
    own = subscribe(rep)
    other = subscribe(teammate)
    assert [row["id"] for row in ApiClient(rep).get(BASE).json()["results"]] == [own.pk]
    assert {row["id"] for row in ApiClient(admin).get(BASE).json()["results"]} == {own.pk, other.pk}


def test_the_list_pages_with_the_cursor(rep):
    ids = [subscribe(rep).pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get(BASE, {"page_size": 3}).json()
    assert [row["id"] for row in first["results"]] == sorted(ids, reverse=True)[:3]
    second = api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == sorted(ids, reverse=True)[3:]
    assert second["next"] is None


@pytest.mark.parametrize("role", ["teammate", "manager", "outsider"])
def test_someone_elses_subscription_is_404_for_every_operation(request, rep, role):
    subscription = subscribe(rep)
    api = ApiClient(request.getfixturevalue(role))
    path = f"{BASE}{subscription.pk}"
    is_problem(api.get(path), 404)
    is_problem(api.get(f"{path}/secret"), 404)
    is_problem(api.get(f"{path}/deliveries"), 404)
    is_problem(api.patch(path, {"description": "mine now"}), 404)
    is_problem(api.post(f"{path}/secret/rotate"), 404)
    is_problem(api.post(f"{path}/enable"), 404)
    is_problem(api.delete(path), 404)
    assert Subscription.objects.get(pk=subscription.pk).description == ""


def test_an_admin_reads_changes_and_deletes_anyones(rep, admin):
    subscription = subscribe(rep)
    api = ApiClient(admin)
    assert api.get(f"{BASE}{subscription.pk}/secret").json()["secret"].startswith("whsec_")
    assert api.patch(f"{BASE}{subscription.pk}", {"description": "Checked"}).json()["description"] == "Checked"
    assert api.delete(f"{BASE}{subscription.pk}").status_code == 204
    assert not Subscription.objects.exists()


def test_update_changes_only_what_is_given_and_checks_the_url(rep):
    subscription = subscribe(rep, description="Keep me")
    api = ApiClient(rep)
    body = api.patch(f"{BASE}{subscription.pk}", {"events": ["quote.sent", "deal.won"]}).json()
    assert body["events"] == ["deal.won", "quote.sent"] and body["description"] == "Keep me"
    problem = is_problem(api.patch(f"{BASE}{subscription.pk}", {"url": "http://192.168.1.1/"}), 422)
    assert problem["errors"][0]["field"] == "url"
    is_problem(api.patch(f"{BASE}{subscription.pk}", {"events": None}), 422)
    is_problem(api.patch(f"{BASE}{subscription.pk}", {"allow_private_network": True}), 403)
    subscription.refresh_from_db()
    assert subscription.url == PUBLIC


def test_rotate_returns_a_new_secret(rep):
    subscription, old = services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won"])
    api = ApiClient(rep)
    new = api.post(f"{BASE}{subscription.pk}/secret/rotate").json()["secret"]
    assert new != old and api.get(f"{BASE}{subscription.pk}/secret").json()["secret"] == new


def test_enable_after_disabling(rep):
    subscription = subscribe(rep)
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=False, failing_since=timezone.now() - timedelta(days=1), disabled_at=timezone.now()
    )
    api = ApiClient(rep)
    assert api.get(f"{BASE}{subscription.pk}").json()["status"] == "disabled"
    body = api.post(f"{BASE}{subscription.pk}/enable").json()
    assert body["status"] == "active" and body["failing_since"] is None and body["disabled_at"] is None


def test_a_read_token_may_not_create_or_read_the_secret_by_rotating(rep):
    subscription = subscribe(rep)
    api = ApiClient(rep, scope=ApiToken.Scope.READ)
    is_problem(api.post(BASE, {"url": PUBLIC, "events": ["deal.won"]}), 403)
    is_problem(api.post(f"{BASE}{subscription.pk}/secret/rotate"), 403)
    is_problem(api.delete(f"{BASE}{subscription.pk}"), 403)
    assert Subscription.objects.count() == 1


def _deliveries(subscription, count):
    for index in range(count):
        event = OutboxEvent.objects.create(type="deal.won", subject_type="deal", subject_id=index + 1)
        delivery = Delivery.objects.create(
            subscription=subscription, event=event, status=Delivery.Status.DELIVERED, attempts=2
        )
        Attempt.objects.create(delivery=delivery, at=timezone.now() - timedelta(minutes=1), status_code=500)
        Attempt.objects.create(delivery=delivery, status_code=200, response_ms=95)


def test_the_delivery_log_has_the_attempts_and_the_last_outcome(rep):
    subscription = subscribe(rep)
    _deliveries(subscription, 2)
    rows = ApiClient(rep).get(f"{BASE}{subscription.pk}/deliveries").json()["results"]
    assert len(rows) == 2
    row = rows[0]
    assert row["status"] == "delivered" and row["attempts"] == 2
    assert (row["last_status_code"], row["last_response_ms"]) == (200, 95)
    assert [attempt["status_code"] for attempt in row["attempt_log"]] == [200, 500]
    assert row["event"]["type"] == "deal.won" and len(row["event"]["id"]) == 36


def test_the_delivery_log_pages_with_the_cursor(rep):
    subscription = subscribe(rep)
    _deliveries(subscription, 5)
    api = ApiClient(rep)
    first = api.get(f"{BASE}{subscription.pk}/deliveries", {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 3 and len(second["results"]) == 2
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


def test_list_queries_do_not_grow_with_the_rows(rep, admin):
    for _ in range(3):
        subscribe(rep)
    api = ApiClient(admin)
    api.get(BASE)
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(BASE).json()["results"]) == 3
    for _ in range(27):
        subscribe(rep)
    with CaptureQueriesContext(connection) as large:
        api.get(BASE, {"page_size": 30})
    assert len(large) == len(small)


def test_delivery_log_queries_do_not_grow_with_the_rows(rep):
    subscription = subscribe(rep)
    _deliveries(subscription, 3)
    api = ApiClient(rep)
    url = f"{BASE}{subscription.pk}/deliveries"
    api.get(url)
    with CaptureQueriesContext(connection) as small:
        api.get(url)
    _deliveries(subscription, 27)
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(url, {"page_size": 30}).json()["results"]) == 30
    # token, subscription, the page of deliveries (latest attempt as subqueries), their attempts
    assert len(large) == len(small)


def test_unknown_or_huge_ids_are_404(rep):
    api = ApiClient(rep)
    is_problem(api.get(f"{BASE}999999"), 404)
    is_problem(api.get(f"{BASE}99999999999999999999999"), 404)


def test_the_audit_trail_records_the_change_via_the_api_without_the_secret(rep):
    from audit.models import LogEntry

    response = ApiClient(rep).post(BASE, {"url": PUBLIC, "events": ["deal.won"]})
    entry = LogEntry.objects.filter(object_pk=str(response.json()["id"])).latest("timestamp")
    assert entry.source == "api" and entry.actor_id == rep.pk
    assert "url" in entry.changes_dict and "secret_encrypted" not in entry.changes_dict
    assert response.json()["secret"] not in str(entry.changes)
