"""Webhook subscriptions: the services (secret, SSRF refusals, rights) and the pages (list,
create with the secret shown, detail with the delivery log, re-enable, edit, delete)."""

import socket
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import EventType, OutboxEvent
from mail import crypto
from webhooks import services
from webhooks.models import Attempt, Delivery, Subscription

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/crm"


def subscribe(owner, url=PUBLIC, events=(EventType.DEAL_WON,), **kwargs):
    subscription, _secret = services.subscription_create(actor=owner, url=url, events=list(events), **kwargs)
    return subscription


# --- services ---------------------------------------------------------------------------------


def test_create_makes_a_secret_and_stores_it_only_encrypted(rep):
    subscription, secret = services.subscription_create(
        actor=rep, url=PUBLIC, events=["deal.won", "deal.created"], description="Accounting"
    )
    assert secret.startswith("whsec_") and len(secret) > 40
    stored = Subscription.objects.get(pk=subscription.pk)
    assert secret not in stored.secret_encrypted
    assert crypto.reveal(stored.secret_encrypted) == secret
    assert stored.owner == rep
    # Kept in the order of the event list, each once.
    assert stored.events == ["deal.created", "deal.won"]
    assert services.secret_reveal(actor=rep, subscription_id=stored.pk) == secret


def test_two_subscriptions_get_different_secrets(rep):
    _one, first = services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won"])
    _two, second = services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won"])
    assert first != second


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://localhost/hook",
    ],
)
def test_a_private_or_local_target_is_refused(rep, url):
    with pytest.raises(ValidationError) as refused:
        services.subscription_create(actor=rep, url=url, events=["deal.won"])
    assert "url" in refused.value.message_dict
    assert "private or local network" in " ".join(refused.value.message_dict["url"])
    assert not Subscription.objects.exists()


def test_a_name_that_resolves_to_loopback_is_refused(rep, monkeypatch):
    def resolve(host, port, *args, **kwargs):
        assert host == "hooks.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ValidationError, match="private or local network"):
        services.subscription_create(actor=rep, url="https://hooks.example.com/in", events=["deal.won"])


def test_a_name_that_resolves_to_a_public_address_is_accepted(rep, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))],
    )
    assert subscribe(rep, url="https://hooks.example.com/in").url == "https://hooks.example.com/in"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://user:secret@93.184.216.34/hook", "user name or password"),
        ("ftp://93.184.216.34/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("", "Enter the address"),
        ("https://93.184.216.34:99999/hook", "invalid port"),
    ],
)
def test_credentials_other_schemes_and_junk_are_refused(rep, url, message):
    with pytest.raises(ValidationError) as refused:
        services.subscription_create(actor=rep, url=url, events=["deal.won"])
    assert message in " ".join(refused.value.message_dict["url"])


def test_events_must_be_known_and_at_least_one(rep):
    with pytest.raises(ValidationError) as refused:
        services.subscription_create(actor=rep, url=PUBLIC, events=[])
    assert "events" in refused.value.message_dict
    with pytest.raises(ValidationError, match="Unknown event"):
        services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won", "deal.stolen"])


def test_only_an_admin_may_allow_a_private_network(rep, admin):
    with pytest.raises(PermissionDenied):
        services.subscription_create(
            actor=rep, url="http://10.0.0.5/hook", events=["deal.won"], allow_private_network=True
        )
    subscription = subscribe(admin, url="http://10.0.0.5/hook", allow_private_network=True)
    assert subscription.allow_private_network is True


def test_an_admin_may_allow_a_private_address_on_a_reps_subscription(rep, admin):
    subscription = subscribe(rep)
    services.subscription_update(
        actor=admin, subscription_id=subscription.pk, url="http://10.0.0.5/hook", allow_private_network=True
    )
    subscription.refresh_from_db()
    assert (subscription.url, subscription.allow_private_network) == ("http://10.0.0.5/hook", True)
    # The owner may change the events and keeps the allowance...
    services.subscription_update(actor=rep, subscription_id=subscription.pk, events=["deal.lost"])
    subscription.refresh_from_db()
    assert subscription.allow_private_network is True
    # ...but a new address of her own must be public: the admin allowed that one address.
    with pytest.raises(ValidationError, match="private or local network"):
        services.subscription_update(actor=rep, subscription_id=subscription.pk, url="http://10.0.0.6/hook")
    services.subscription_update(actor=rep, subscription_id=subscription.pk, url=PUBLIC)
    subscription.refresh_from_db()
    assert (subscription.url, subscription.allow_private_network) == (PUBLIC, False)


def test_a_rep_cannot_set_the_allowance_on_update(rep):
    subscription = subscribe(rep)
    with pytest.raises(PermissionDenied):
        services.subscription_update(actor=rep, subscription_id=subscription.pk, allow_private_network=True)


def test_update_checks_the_new_url(rep):
    subscription = subscribe(rep)
    with pytest.raises(ValidationError):
        services.subscription_update(actor=rep, subscription_id=subscription.pk, url="http://169.254.169.254/")
    subscription.refresh_from_db()
    assert subscription.url == PUBLIC


def test_another_users_subscription_does_not_exist_for_them(rep, teammate, manager):
    subscription = subscribe(rep)
    for user in (teammate, manager):
        with pytest.raises(Http404):
            services.subscription_update(actor=user, subscription_id=subscription.pk, description="x")
        with pytest.raises(Http404):
            services.secret_reveal(actor=user, subscription_id=subscription.pk)
        with pytest.raises(Http404):
            services.subscription_delete(actor=user, subscription_id=subscription.pk)
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_an_admin_manages_everyones_subscriptions(rep, admin):
    subscription = subscribe(rep)
    services.subscription_update(actor=admin, subscription_id=subscription.pk, description="Checked by IT")
    assert services.secret_reveal(actor=admin, subscription_id=subscription.pk).startswith("whsec_")
    services.subscription_delete(actor=admin, subscription_id=subscription.pk)
    assert not Subscription.objects.exists()


def test_only_an_admin_subscribes_for_someone_else(rep, teammate, admin):
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=rep, owner=teammate, url=PUBLIC, events=["deal.won"])
    subscription, _secret = services.subscription_create(actor=admin, owner=teammate, url=PUBLIC, events=["deal.won"])
    assert subscription.owner == teammate


def test_rotating_replaces_the_secret(rep):
    subscription, old = services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won"])
    new = services.secret_rotate(actor=rep, subscription_id=subscription.pk)
    assert new != old and new.startswith("whsec_")
    assert services.secret_reveal(actor=rep, subscription_id=subscription.pk) == new


def _disable(subscription):
    now = timezone.now()
    Subscription.objects.filter(pk=subscription.pk).update(
        is_active=False,
        failing_since=now - timedelta(hours=25),
        disabled_at=now - timedelta(hours=1),
        disabled_reason="Deliveries failed for 24 hours.",
    )


def test_enable_clears_the_failure_and_the_disabling(rep):
    subscription = subscribe(rep)
    _disable(subscription)
    services.subscription_enable(actor=rep, subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.is_active is True
    assert (subscription.failing_since, subscription.disabled_at, subscription.disabled_reason) == (None, None, "")


def test_enable_checks_the_url_again(rep, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))],
    )
    subscription = subscribe(rep, url="https://hooks.example.com/in")
    _disable(subscription)
    # The name now points into the local network.
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.9", port))],
    )
    with pytest.raises(ValidationError):
        services.subscription_enable(actor=rep, subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.is_active is False


# --- pages ------------------------------------------------------------------------------------


def _log(subscription, count=3):
    """`count` deliveries: a delivered one (two attempts), a failed one, pending ones."""
    deliveries = []
    for index in range(count):
        event = OutboxEvent.objects.create(type="deal.won", subject_type="deal", subject_id=1000 + index)
        status = [Delivery.Status.DELIVERED, Delivery.Status.FAILED][index] if index < 2 else Delivery.Status.PENDING
        delivery = Delivery.objects.create(subscription=subscription, event=event, status=status, attempts=2)
        Attempt.objects.create(
            delivery=delivery, at=timezone.now() - timedelta(minutes=5), status_code=500, response_ms=812
        )
        Attempt.objects.create(delivery=delivery, status_code=200 if index == 0 else 503, response_ms=140 + index)
        deliveries.append(delivery)
    return deliveries


def test_the_list_shows_own_subscriptions_and_admins_see_all_with_owner(client, rep, teammate, admin):
    subscribe(rep, description="Alice's hook")
    subscribe(teammate, description="Bob's hook")
    client.force_login(rep)
    page = client.get(reverse("webhooks:list")).content.decode()
    assert "Alice&#x27;s hook" in page and "Bob" not in page.split("webhook-table")[1]
    client.force_login(admin)
    page = client.get(reverse("webhooks:list")).content.decode()
    assert "Alice&#x27;s hook" in page and "Bob&#x27;s hook" in page
    assert "Alice Adams" in page  # the owner column


def test_creating_on_the_page_shows_the_secret(client, rep):
    client.force_login(rep)
    assert client.get(reverse("webhooks:create")).status_code == 200
    response = client.post(
        reverse("webhooks:create"), {"url": PUBLIC, "events": ["deal.won", "lead.created"], "description": "ERP"}
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:secret", args=[subscription.pk])
    page = client.get(response["Location"])
    secret = crypto.reveal(subscription.secret_encrypted)
    assert secret in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    # The detail page alone keeps it hidden until "Show".
    assert secret not in client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()


def test_the_secret_is_revealed_by_htmx_as_its_block(client, rep):
    subscription, secret = services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won"])
    client.force_login(rep)
    response = client.get(reverse("webhooks:secret", args=[subscription.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and secret in body
    assert body.lstrip().startswith('<div id="webhook-secret"')


def test_the_page_refuses_a_private_target_with_the_message(client, rep):
    client.force_login(rep)
    response = client.post(reverse("webhooks:create"), {"url": "http://169.254.169.254/", "events": ["deal.won"]})
    assert response.status_code == 400
    assert "private or local network" in response.content.decode()
    assert "allow_private_network" not in response.content.decode()  # not offered to a rep
    assert not Subscription.objects.exists()


def test_an_admin_may_allow_a_private_target_on_the_page(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("webhooks:create"),
        {"url": "http://10.0.0.5/hook", "events": ["deal.won"], "allow_private_network": "on"},
    )
    assert response.status_code == 302
    assert Subscription.objects.get().allow_private_network is True


def test_the_delivery_log_shows_status_attempts_http_status_and_time(client, rep):
    subscription = subscribe(rep)
    _log(subscription)
    client.force_login(rep)
    response = client.get(reverse("webhooks:detail", args=[subscription.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="delivery-row"') == 3
    assert "Delivered" in page and "Failed" in page and "Pending" in page
    assert ">200<" in page and ">140<" in page  # the latest attempt of the delivered one
    assert "812 ms" in page  # the earlier attempt, in the attempt list
    assert page.count('data-testid="attempt-list"') == 3


def test_the_delivery_log_is_paged_with_a_constant_number_of_queries(client, rep):
    subscription = subscribe(rep)
    client.force_login(rep)
    url = reverse("webhooks:detail", args=[subscription.pk])
    _log(subscription, 3)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _round in range(9):
        _log(subscription, 3)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    # session, user, subscription, count, page of deliveries (with the latest attempt as
    # subqueries), attempts of the page
    assert len(large) == len(small)
    assert response.content.decode().count('data-testid="delivery-row"') == 25
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count('data-testid="delivery-row"') == 5


def test_a_disabled_subscription_shows_why_and_can_be_enabled_again(client, rep):
    subscription = subscribe(rep)
    _disable(subscription)
    client.force_login(rep)
    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert "Deliveries failed for 24 hours." in page and 'data-testid="enable-webhook"' in page
    response = client.post(reverse("webhooks:enable", args=[subscription.pk]))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.disabled_at is None
    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert 'data-testid="enable-webhook"' not in page


def test_a_failing_subscription_says_since_when(client, rep):
    subscription = subscribe(rep)
    Subscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now() - timedelta(hours=2))
    client.force_login(rep)
    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert "Deliveries fail since" in page


def test_editing_and_deleting_on_the_pages(client, rep):
    subscription = subscribe(rep)
    client.force_login(rep)
    assert client.get(reverse("webhooks:edit", args=[subscription.pk])).status_code == 200
    response = client.post(
        reverse("webhooks:edit", args=[subscription.pk]),
        {"url": PUBLIC + "/v2", "events": ["quote.accepted"], "description": "v2"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.url, subscription.events) == (PUBLIC + "/v2", ["quote.accepted"])
    bad = client.post(reverse("webhooks:edit", args=[subscription.pk]), {"url": PUBLIC, "events": []})
    assert bad.status_code == 400 and "Choose at least one event." in bad.content.decode()
    assert client.post(reverse("webhooks:delete", args=[subscription.pk])).status_code == 302
    assert not Subscription.objects.exists()


def test_rotating_on_the_page_shows_the_new_secret(client, rep):
    subscription, old = services.subscription_create(actor=rep, url=PUBLIC, events=["deal.won"])
    client.force_login(rep)
    response = client.post(reverse("webhooks:secret_rotate", args=[subscription.pk]), follow=True)
    new = services.secret_reveal(actor=rep, subscription_id=subscription.pk)
    assert new != old and new in response.content.decode()


@pytest.mark.parametrize("name", ["detail", "edit", "secret"])
def test_someone_elses_subscription_pages_are_404(client, rep, teammate, manager, name):
    subscription = subscribe(rep)
    for user in (teammate, manager):
        client.force_login(user)
        assert client.get(reverse(f"webhooks:{name}", args=[subscription.pk])).status_code == 404


def test_the_user_menu_and_preferences_link_the_webhooks(client, rep):
    client.force_login(rep)
    page = client.get(reverse("accounts:preferences")).content.decode()
    assert 'data-testid="user-menu-webhooks"' in page and 'data-testid="preferences-webhooks"' in page
