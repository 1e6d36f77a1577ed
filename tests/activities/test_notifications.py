import pytest
from django.urls import reverse

from activities.models import Notification
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alices(rep, deal):
    return [
        factories.NotificationFactory(user=rep, message="Reminder: call Acme", deal=deal),
        factories.NotificationFactory(user=rep, message="Welcome"),
    ]


@pytest.fixture
def bobs(teammate):
    return factories.NotificationFactory(user=teammate, message="Bob's secret")


def test_list_shows_only_the_users_notifications(client, rep, alices, bobs):
    client.force_login(rep)

    response = client.get(reverse("activities:notifications"))

    content = response.content.decode()
    assert "Reminder: call Acme" in content and "Welcome" in content
    assert "secret" not in content


@pytest.mark.parametrize("role", ["teammate", "manager", "admin"])
def test_nobody_sees_another_users_notifications(client, request, role, alices):
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("activities:notifications"))

    assert "call Acme" not in response.content.decode()


def test_list_opens_the_deal_through_mark_read(client, rep, alices, deal):
    client.force_login(rep)

    response = client.get(reverse("activities:notifications"), **HTMX)

    content = response.content.decode()
    assert f'action="{reverse("activities:notification_open", args=[alices[0].pk])}"' in content
    assert f'data-href="{reverse("deals:detail", args=[deal.pk])}"' in content
    assert "<html" not in content


def test_badge_counts_only_the_users_unread(client, rep, alices, bobs):
    Notification.objects.filter(pk=alices[1].pk).update(read_at=alices[1].created_at)
    client.force_login(rep)

    response = client.get(reverse("activities:notification_badge"), **HTMX)

    assert '<span class="badge badge-danger" data-testid="unread-count">1' in response.content.decode()


def test_badge_without_unread_shows_no_count(client, outsider, alices):
    client.force_login(outsider)

    response = client.get(reverse("activities:notification_badge"), **HTMX)

    assert "unread-count" not in response.content.decode()


def test_every_page_carries_the_badge_that_loads_itself(client, rep):
    client.force_login(rep)

    response = client.get(reverse("activities:list"))

    assert f'hx-get="{reverse("activities:notification_badge")}"' in response.content.decode()


def test_mark_read(client, rep, alices):
    client.force_login(rep)

    response = client.post(reverse("activities:notification_read", args=[alices[0].pk]), **HTMX)

    assert response.status_code == 200
    assert "notifications-changed" in response["HX-Trigger"]
    assert Notification.objects.get(pk=alices[0].pk).read_at is not None
    assert Notification.objects.get(pk=alices[1].pk).read_at is None


def test_marking_another_users_notification_read_is_not_found(client, teammate, alices):
    client.force_login(teammate)

    response = client.post(reverse("activities:notification_read", args=[alices[0].pk]), **HTMX)

    assert response.status_code == 404
    assert Notification.objects.get(pk=alices[0].pk).read_at is None


def test_mark_all_read_touches_only_the_users_own(client, rep, alices, bobs):
    client.force_login(rep)

    client.post(reverse("activities:notification_read_all"))

    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=bobs.pk).read_at is None


def test_open_marks_read_and_goes_to_the_deal(client, rep, alices, deal):
    client.force_login(rep)

    response = client.post(reverse("activities:notification_open", args=[alices[0].pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])
    assert Notification.objects.get(pk=alices[0].pk).read_at is not None


def test_badge_query_count(client, rep, django_assert_num_queries):
    # Expected: user (the session comes from the cache), one COUNT.
    client.force_login(rep)
    for size in (1, 30):
        factories.NotificationFactory.create_batch(size, user=rep)
        with django_assert_num_queries(2):
            client.get(reverse("activities:notification_badge"), **HTMX)


def test_notification_list_query_count(client, rep, deal, django_assert_num_queries):
    # Expected: user (the session comes from the cache), the notifications (links are built
    # from the ids).
    client.force_login(rep)
    for size in (1, 30):
        factories.NotificationFactory.create_batch(size, user=rep, deal=deal)
        with django_assert_num_queries(2):
            client.get(reverse("activities:notifications"), **HTMX)
