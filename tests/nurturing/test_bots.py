"""The bot and scanner filter (docs/nurturing.md, "Bots and scanners")."""

from datetime import timedelta

import pytest

from nurturing import bots, tracking_services
from nurturing.models import Send, TrackingEvent
from tests import factories
from tests.nurturing import builders

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; BLEXBot/1.0)",
        "Barracuda Sentinel (EE)",
        "Mimecast URL Protect",
        "Proofpoint URL Defense",
        "Symantec Email Security.cloud",
        "TrendMicro Email Security",
        "Trend Micro Web Reputation",
        "python-requests/2.32.3",
        "Python-urllib/3.12",
        "curl/8.5.0",
        "Wget/1.21.4",
        "Go-http-client/1.1",
        "Java/17.0.2",
        "okhttp/4.12.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/125.0 Safari/537.36",
        "Mozilla/5.0 (compatible; Slackbot-LinkExpanding 1.0)",
        "facebookexternalhit/1.1",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (Windows NT 10.0) ms-office-linkscanner",
        "Microsoft Office Preview",
        "Mozilla/5.0 (compatible; Web Crawler)",
        "spider-thing/1.0",
    ],
)
def test_known_bots_scanners_and_previewers_are_recognised(agent):
    assert bots.is_known_agent(agent)
    assert bots.request_verdict(kind="click", method="GET", user_agent=agent, at=None, sent_at=None) == "bot_user_agent"


@pytest.mark.parametrize(
    "agent",
    [
        BROWSER,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Microsoft Outlook 16.0.17628; Pro",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Edg/126.0",
    ],
)
def test_people_with_browsers_and_mail_programs_count(agent):
    assert not bots.is_known_agent(agent)


def test_the_request_rules_in_their_order():
    t0 = builders.T0
    verdict = bots.request_verdict
    assert verdict(kind="click", method="HEAD", user_agent=BROWSER, at=t0, sent_at=t0) == "head"
    assert verdict(kind="click", method="GET", user_agent="  ", at=t0, sent_at=None) == "no_user_agent"
    assert (
        verdict(kind="click", method="GET", user_agent=BROWSER, at=t0 + timedelta(seconds=9), sent_at=t0) == "too_soon"
    )
    assert verdict(kind="click", method="GET", user_agent=BROWSER, at=t0 + timedelta(seconds=10), sent_at=t0) == ""
    # Opens are an estimate anyway: a pixel loaded at delivery (a privacy proxy) is not told apart.
    assert verdict(kind="open", method="GET", user_agent=BROWSER, at=t0 + timedelta(seconds=1), sent_at=t0) == ""


def test_the_threshold_is_a_setting(settings):
    settings.CRM_TRACKING_MIN_SECONDS = 60
    t0 = builders.T0
    assert bots.request_verdict(
        kind="click", method="GET", user_agent=BROWSER, at=t0 + timedelta(seconds=59), sent_at=t0
    )


@pytest.fixture
def send(rep):
    contact = factories.ContactFactory(owner=rep)
    return builders.send(contact=contact, sequence=builders.sequence(rep))


def _click(link, seconds, agent=BROWSER, method="GET"):
    return tracking_services.click_record(
        link=link, method=method, user_agent=agent, now=builders.T0 + timedelta(seconds=seconds)
    )


def test_the_message_date_counts_when_the_send_has_no_sent_stamp(send):
    Send.objects.filter(pk=send.pk).update(sent_at=None)
    send.refresh_from_db()
    link = builders.link(send, 1)
    assert _click(link, 5).filtered == "too_soon"


def test_every_link_of_an_email_clicked_within_two_seconds_is_a_scanner_burst(send):
    links = [builders.link(send, i, f"https://example.org/{i}") for i in (1, 2, 3)]
    first = _click(links[0], 60)
    assert first.counted  # not known yet
    _click(links[1], 61)
    last = _click(links[2], 61.5)
    assert (last.counted, last.filtered) == (False, "burst")
    assert list(TrackingEvent.objects.values_list("counted", "filtered")) == [(False, "burst")] * 3
    send.refresh_from_db()
    assert send.clicked_at is None


def test_a_burst_leaves_the_earlier_human_click_counted(send):
    links = [builders.link(send, i, f"https://example.org/{i}") for i in (1, 2)]
    human = _click(links[0], 30)
    _click(links[0], 100)
    _click(links[1], 101)
    assert TrackingEvent.objects.get(pk=human.pk).counted
    assert TrackingEvent.objects.filter(counted=False, filtered="burst").count() == 2
    send.refresh_from_db()
    assert send.clicked_at == human.at


def test_two_links_clicked_seconds_apart_by_a_person_both_count(send):
    links = [builders.link(send, i, f"https://example.org/{i}") for i in (1, 2)]
    _click(links[0], 60)
    _click(links[1], 65)
    assert TrackingEvent.objects.filter(counted=True).count() == 2


def test_a_one_link_email_has_no_burst(send):
    link = builders.link(send, 1)
    _click(link, 60)
    assert _click(link, 60.5).counted


def test_head_requests_do_not_make_a_burst(send):
    links = [builders.link(send, i, f"https://example.org/{i}") for i in (1, 2)]
    _click(links[0], 60, method="HEAD")
    assert _click(links[1], 60.5).counted
