"""Links of marketing e-mails become tracked redirects; the rest stays as written."""

import pytest

from nurturing import tracking
from nurturing.models import TrackedLink
from tests import factories
from tests.nurturing import builders

pytestmark = pytest.mark.django_db

BASE = "https://crm.example.com"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.CRM_BASE_URL = BASE


@pytest.fixture
def send(rep):
    contact = factories.ContactFactory(owner=rep, email="anna@customer.example")
    return builders.send(contact=contact, sequence=builders.sequence(rep))


def _token(url):
    assert url.startswith(f"{BASE}/t/c/")
    return url.removeprefix(f"{BASE}/t/c/").removesuffix("/")


def test_every_http_link_of_the_html_becomes_a_tracked_link_in_document_order(send):
    html = (
        '<html><body><p>Read <a href="https://example.org/guide?a=1&amp;b=2" class="btn">the guide</a>'
        "and <A HREF='http://example.org/price'>prices</A>.</p></body></html>"
    )
    out, _text = tracking.prepare(send=send, html=html, text="")
    links = list(TrackedLink.objects.filter(send=send))
    assert [(link.position, link.url) for link in links] == [
        (1, "https://example.org/guide?a=1&b=2"),
        (2, "http://example.org/price"),
    ]
    first = tracking.click_url(links[0].pk)
    assert f'<a href="{first}" class="btn">the guide</a>' in out
    assert tracking.click_url(links[1].pk) in out
    assert "example.org" not in out
    assert tracking.link_id_from_token(_token(first)) == links[0].pk


def test_mailto_tel_anchors_without_href_and_the_products_own_pages_stay_untracked(send):
    html = (
        '<a href="mailto:sales@example.com">mail</a> <a href="tel:+4930123">call</a> <a name="top">top</a> '
        f'<a href="{BASE}/u/abc/">unsubscribe</a> <a href="{BASE}/e/u/abc/">unsubscribe (first address)</a> '
        f'<a href="{BASE}/e/p/abc/">preferences</a> '
        '<a href="#section">jump</a> <a href="/relative">relative</a>'
    )
    out, _text = tracking.prepare(send=send, html=html, text="")
    assert out == html
    assert not TrackedLink.objects.filter(send=send).exists()


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "//evil.example/path",
        "https://user:pw@evil.example/",
        "https://user@evil.example/",
        "ftp://example.org/file",
        "https://",
        "https://example.org/" + "a" * 2000,
        "data:text/html,hello",
    ],
)
def test_a_target_that_is_no_plain_http_url_is_left_as_written(send, target):
    html = f'<a href="{target}">x</a>'
    out, _text = tracking.prepare(send=send, html=html, text="")
    assert out == html
    assert not TrackedLink.objects.filter(send=send).exists()


def test_urls_in_the_text_part_share_the_link_of_the_same_target_in_the_html(send):
    html = '<p><a href="https://example.org/guide">guide</a></p>'
    text = "Read the guide: https://example.org/guide.\nAlso (https://example.org/more) and mailto:x@y.example"
    out_html, out_text = tracking.prepare(send=send, html=html, text=text)
    guide, more = TrackedLink.objects.filter(send=send)
    assert (guide.position, more.position) == (1, 2)
    assert out_text == (
        f"Read the guide: {tracking.click_url(guide.pk)}.\nAlso ({tracking.click_url(more.pk)}) and mailto:x@y.example"
    )
    assert tracking.click_url(guide.pk) in out_html


def test_document_links_are_marked_as_downloads(send):
    html = (
        '<a href="https://example.org/files/Whitepaper.PDF">pdf</a>'
        '<a href="https://example.org/files/deck.pptx?v=2">deck</a>'
        '<a href="https://example.org/pdf-guide">page</a>'
    )
    tracking.prepare(send=send, html=html, text="")
    assert list(TrackedLink.objects.filter(send=send).values_list("is_download", flat=True)) == [True, True, False]


def test_the_open_pixel_is_added_only_when_the_sequence_counts_opens(rep):
    contact = factories.ContactFactory(owner=rep)
    quiet = builders.send(contact=contact, sequence=builders.sequence(rep, "Quiet"))
    counting = builders.send(contact=contact, sequence=builders.sequence(rep, "Counting", track_opens=True))
    html = "<html><body><p>Hi</p></body></html>"
    assert tracking.prepare(send=quiet, html=html, text="")[0] == html
    out, _ = tracking.prepare(send=counting, html=html, text="")
    pixel = f'<img src="{tracking.open_url(counting)}" width="1" height="1" alt="" border="0"></body>'
    assert pixel in out
    assert tracking.send_token_from_open_token(tracking.open_token(counting)) == counting.token


def test_a_rule_email_without_a_sequence_gets_no_pixel(rep):
    contact = factories.ContactFactory(owner=rep)
    single = builders.send(contact=contact)
    assert tracking.prepare(send=single, html="<p>Hi</p>", text="Hi")[0] == "<p>Hi</p>"


def test_tokens_are_short_and_signed_per_purpose(send):
    link = builders.link(send, 1)
    token = tracking.click_token(link.pk)
    assert len(token) < 60
    assert tracking.link_id_from_token(token) == link.pk
    assert tracking.link_id_from_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert tracking.link_id_from_token(f"{link.pk + 1}:{token.split(':')[1]}") is None
    # An open token is no click token, even for the same value.
    assert tracking.link_id_from_token(tracking.open_token(send)) is None


def test_links_on_later_lines_with_windows_line_ends_are_all_found(send):
    html = (
        '<p>\r\n  <a href="https://example.org/1">one</a>\r\n</p>\r<p>\n<a\n href="https://example.org/2"\n>two</a></p>'
    )
    out, _text = tracking.prepare(send=send, html=html, text="")
    first, second = TrackedLink.objects.filter(send=send)
    assert (first.url, second.url) == ("https://example.org/1", "https://example.org/2")
    assert out == (
        f'<p>\r\n  <a href="{tracking.click_url(first.pk)}">one</a>\r\n</p>\r<p>\n'
        f'<a href="{tracking.click_url(second.pk)}">two</a></p>'
    )
