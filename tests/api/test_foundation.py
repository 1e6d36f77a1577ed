"""What every API operation shares: tokens, scopes, session + CSRF, problem+json, the rate
limit, idempotency keys, ?fields=, and the audit trail's "via API, token X"."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api import tokens
from api.models import ApiToken, IdempotentRequest
from audit.models import LogEntry
from deals.models import Deal
from tests import factories
from tests.api.helpers import ApiClient, is_problem, token_for

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_hash_and_shown_once(rep):
    token, raw = tokens.token_create(user=rep, name="Website", scope=ApiToken.Scope.READ)
    assert raw.startswith("pcrm_" + token.prefix + "_")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}
    assert len(stored.key_hash) == 64
    assert tokens.token_for_key(raw).pk == token.pk


def test_without_a_token_or_session_the_api_answers_401_as_a_problem(client):
    response = client.get("/api/v1/deals/")
    body = is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "token" in body["detail"]


@pytest.mark.parametrize("raw", ["pcrm_nothere_xxxxxxxx", "garbage", ""])
def test_an_unknown_token_is_401_even_with_a_session(client, rep, raw):
    client.force_login(rep)
    response = client.get("/api/v1/deals/", headers={"Authorization": f"Bearer {raw}"})
    is_problem(response, 401)


def test_a_revoked_token_stops_working_at_once(rep):
    token, raw = tokens.token_create(user=rep, name="Script")
    api = ApiClient(raw=raw)
    assert api.get("/api/v1/deals/").status_code == 200
    tokens.token_revoke(actor=rep, token_id=token.pk)
    is_problem(api.get("/api/v1/deals/"), 401)


def test_an_expired_token_is_refused(rep):
    token, raw = tokens.token_create(user=rep, name="Script", expires_at=timezone.now() + timedelta(minutes=5))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    is_problem(ApiClient(raw=raw).get("/api/v1/deals/"), 401)


def test_an_inactive_users_token_is_refused(rep):
    raw = token_for(rep)
    rep.is_active = False
    rep.save()
    is_problem(ApiClient(raw=raw).get("/api/v1/deals/"), 401)


def test_last_used_is_recorded(rep):
    token, raw = tokens.token_create(user=rep, name="Script")
    assert token.last_used_at is None
    ApiClient(raw=raw).get("/api/v1/deals/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_read_token_may_read_but_not_write(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    api = ApiClient(rep, scope=ApiToken.Scope.READ)
    assert api.get(f"/api/v1/deals/{deal.pk}").status_code == 200
    body = is_problem(api.post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages[1].pk, "version": 1}), 403)
    assert "read" in body["detail"]
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk


def test_the_session_works_for_reads_and_needs_csrf_for_writes(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get(f"/api/v1/deals/{deal.pk}").status_code == 200
    response = client.post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages[1].pk, "version": 1}, content_type="application/json"
    )
    is_problem(response, 403)
    client.get("/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": stages[1].pk, "version": 1},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.content
    assert response.json()["stage"]["id"] == stages[1].pk


def test_bad_input_is_a_422_problem_naming_the_field(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    body = is_problem(ApiClient(rep).post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": "x"}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert {"stage_id", "version"} <= fields


def test_a_stale_version_is_409_with_the_current_version(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    Deal.objects.filter(pk=deal.pk).update(version=5)
    body = is_problem(
        ApiClient(rep).post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages[1].pk, "version": 4}), 409
    )
    assert body["current_version"] == 5
    assert body["type"].endswith("stale-version")


def test_over_the_rate_limit_is_429_with_retry_after(rep, settings):
    settings.API_RATE_LIMIT = "3/min"
    api = ApiClient(rep)
    assert [api.get("/api/v1/deals/").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/api/v1/deals/")
    body = is_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])
    other = ApiClient(rep)  # another token has its own budget
    assert other.get("/api/v1/deals/").status_code == 200


def test_an_idempotency_key_replays_the_first_answer_without_moving_twice(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    api = ApiClient(rep)
    body = {"stage_id": stages[1].pk, "version": 1}
    first = api.post(f"/api/v1/deals/{deal.pk}/move", body, headers={"Idempotency-Key": "k-1"})
    again = api.post(f"/api/v1/deals/{deal.pk}/move", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    deal.refresh_from_db()
    assert deal.version == 2
    other = api.post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages[2].pk, "version": 2}, headers={"Idempotency-Key": "k-1"}
    )
    is_problem(other, 422)


def test_a_request_still_running_with_the_same_key_is_409(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    body = {"stage_id": stages[1].pk, "version": 1}
    api = ApiClient(rep)
    import hashlib
    import json

    fingerprint = hashlib.sha256(
        b"\n".join([b"POST", f"/api/v1/deals/{deal.pk}/move".encode(), json.dumps(body).encode()])
    ).hexdigest()
    IdempotentRequest.objects.create(user=rep, key="busy", fingerprint=fingerprint)
    response = api.post(f"/api/v1/deals/{deal.pk}/move", body, headers={"Idempotency-Key": "busy"})
    is_problem(response, 409)
    assert response["Retry-After"] == "1"


def test_fields_trims_each_record(rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0])
    response = ApiClient(rep).get("/api/v1/deals/", {"fields": "title,value"})
    assert set(response.json()["results"][0]) == {"id", "title", "value"}


def test_a_change_through_the_api_is_audited_as_api_with_the_token(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    token, raw = tokens.token_create(user=rep, name="Zapier", scope=ApiToken.Scope.WRITE)
    ApiClient(raw=raw).post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages[1].pk, "version": 1})
    entry = LogEntry.objects.filter(object_pk=str(deal.pk)).latest("timestamp")
    assert entry.source == "api"
    assert entry.actor_id == rep.pk
    assert entry.additional_data["token_name"] == "Zapier"
    assert entry.additional_data["token"] == token.prefix


def test_the_openapi_schema_is_3_1_and_the_docs_need_a_login(client, rep):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.1")
    assert client.get("/api/docs/").status_code == 302
    client.force_login(rep)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"swagger-ui-bundle.js" in page.content


def test_the_deal_timeline_names_the_token_a_change_came_through(client, rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Old title")
    _token, raw = tokens.token_create(user=rep, name="Zapier", scope=ApiToken.Scope.WRITE)
    response = ApiClient(raw=raw).patch(f"/api/v1/deals/{deal.pk}", {"title": "New title", "version": 1})
    assert response.status_code == 200, response.content
    client.force_login(rep)
    page = client.get(f"/deals/{deal.pk}/timeline/").content.decode()
    assert "New title" in page
    assert "API: Zapier" in page


def test_messages_come_in_the_token_users_language(rep, stages):
    rep.language = "de"
    rep.save()
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    body = is_problem(ApiClient(rep).post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": 987654, "version": 1}), 400)
    assert body["detail"] == "Diese Phase gibt es nicht."
