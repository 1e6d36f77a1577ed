"""The public click and open answers: redirects only to stored targets, 404 otherwise."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from nurturing import tracking
from nurturing.models import Send, TrackedLink, TrackingEvent
from tests import factories
from tests.nurturing import builders

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture
def client():
    return Client(HTTP_USER_AGENT=BROWSER)


@pytest.fixture
def send(rep):
    contact = factories.ContactFactory(owner=rep, email="anna@customer.example")
    return builders.send(contact=contact, sequence=builders.sequence(rep, track_opens=True))


def _click_path(link_id):
    return reverse("nurturing:click", args=[tracking.click_token(link_id)])


def test_a_click_without_login_is_counted_and_redirected_to_the_stored_target(client, send):
    link = builders.link(send, 1, "https://example.org/guide?x=1")
    response = client.get(_click_path(link.pk))
    assert response.status_code == 302
    assert response["Location"] == "https://example.org/guide?x=1"
    assert "no-store" in response["Cache-Control"]
    event = TrackingEvent.objects.get()
    assert (event.kind, event.link_id, event.counted, event.filtered, event.method) == (
        "click",
        link.pk,
        True,
        "",
        "GET",
    )
    send.refresh_from_db()
    assert send.clicked_at == event.at


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + "xx",  # signature changed
        lambda token: "999999:" + token.split(":")[1],  # another id with this signature
        lambda token: token.split(":")[0],  # no signature
        lambda token: "https://evil.example",
        lambda token: "//evil.example",
    ],
)
def test_a_tampered_token_gets_a_404_that_names_no_target_and_records_nothing(client, send, mangle):
    link = builders.link(send, 1, "https://example.org/secret-target")
    token = mangle(tracking.click_token(link.pk))
    response = client.get(f"/t/c/{token}/")
    assert response.status_code == 404
    assert "Location" not in response
    assert b"example.org" not in response.content and b"evil.example" not in response.content
    assert not TrackingEvent.objects.exists()


def test_a_token_of_a_deleted_link_gets_a_404(client, send):
    link = builders.link(send, 1)
    path = _click_path(link.pk)
    link.delete()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "//evil.example", "https://user:pw@evil.example/", "ftp://evil.example/"]
)
def test_a_stored_target_that_is_no_safe_url_is_never_redirected_to(client, send, target):
    # Such a target is never stored by prepare(); a row written otherwise (admin, a bug) still cannot redirect.
    TrackedLink.objects.bulk_create([TrackedLink(send=send, position=1, url=target)])
    link = TrackedLink.objects.get()
    response = client.get(_click_path(link.pk))
    assert response.status_code == 404
    assert "Location" not in response
    assert not TrackingEvent.objects.exists()


def test_a_head_request_is_answered_and_recorded_but_not_counted(client, send):
    link = builders.link(send, 1)
    response = client.head(_click_path(link.pk))
    assert response.status_code == 302
    event = TrackingEvent.objects.get()
    assert (event.counted, event.filtered, event.method) == (False, "head", "HEAD")
    send.refresh_from_db()
    assert send.clicked_at is None


def test_a_post_to_a_tracked_link_is_refused(client, send):
    link = builders.link(send, 1)
    assert client.post(_click_path(link.pk)).status_code == 405
    assert not TrackingEvent.objects.exists()


def test_the_open_pixel_is_an_uncached_gif_and_counts_an_estimated_open(client, send):
    response = client.get(reverse("nurturing:open", args=[tracking.open_token(send)]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response["Cache-Control"]
    event = TrackingEvent.objects.get()
    assert (event.kind, event.counted, event.link_id) == ("open", True, None)
    send.refresh_from_db()
    assert send.opened_at == event.at


def test_a_second_open_keeps_the_first_stamp(client, send):
    path = reverse("nurturing:open", args=[tracking.open_token(send)])
    client.get(path)
    first = Send.objects.get().opened_at
    client.get(path)
    assert Send.objects.get().opened_at == first
    assert TrackingEvent.objects.filter(kind="open", counted=True).count() == 2


def test_a_tampered_open_token_records_nothing(client, send):
    token = tracking.open_token(send)
    response = client.get(f"/t/o/{token[:-1]}Z.gif")
    assert response.status_code == 404
    assert not TrackingEvent.objects.exists()


def test_a_scanner_click_is_kept_but_not_counted(send):
    link = builders.link(send, 1)
    response = Client(HTTP_USER_AGENT="Mozilla/5.0 (compatible; Barracuda Sentinel)").get(_click_path(link.pk))
    assert response.status_code == 302  # the scanner gets its answer: it must not learn what we count
    event = TrackingEvent.objects.get()
    assert (event.counted, event.filtered) == (False, "bot_user_agent")
    assert Send.objects.get().clicked_at is None


def test_a_click_right_after_sending_is_a_prefetch(client, send, settings):
    settings.CRM_TRACKING_MIN_SECONDS = 10
    Send.objects.filter(pk=send.pk).update(sent_at=builders.timezone.now() - timedelta(seconds=3))
    link = builders.link(send, 1)
    client.get(_click_path(link.pk))
    assert TrackingEvent.objects.get().filtered == "too_soon"
