"""Click and open tracking of marketing e-mails (docs/nurturing.md, "Tracking, honestly").

`prepare(send=, html=, text=)` is called by the sending code once the Send row exists: every
http(s) link of the HTML (found with the standard library's HTML parser, not a pattern over the
markup) and every http(s) URL of the text part becomes an absolute `/t/c/<token>/` link backed by
a `TrackedLink` row that stores the target. The token is the TrackedLink's id signed with
`django.core.signing` (its own salt), so it names a row, never a URL: the redirect can only go
where the e-mail's author pointed it. With `Sequence.track_opens` a 1×1 GIF `/t/o/<token>.gif`
(the Send's token, signed with another salt) is added to the HTML.

Left as written, untracked: mailto:, tel: and every other scheme; a target that is not a valid
http(s) URL with a host, has a user or password in it, or is longer than 2,000 characters; and the
product's own pages (the unsubscribe page under /u/, preference and confirmation links under /e/, tracking
links under /t/), which must keep working without a redirect.
"""

import re
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.urls import reverse

from nurturing.models import TrackedLink

CLICK_SALT = "nurturing.tracking.click"
OPEN_SALT = "nurturing.tracking.open"
MAX_URL = 2000
DOWNLOAD_SUFFIXES = (".pdf", ".zip", ".docx", ".xlsx", ".pptx", ".epub")
OWN_PREFIXES = ("/e/", "/u/", "/t/")  # the product's own public pages: never wrapped
# A URL in plain text ends at white space or a character that cannot stand in one unescaped;
# trailing punctuation belongs to the sentence (“see https://example.com/a.”).
TEXT_URL = re.compile(r"""https?://[^\s<>"'`]+""", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""
_validate = URLValidator(schemes=["http", "https"])


# Tokens ------------------------------------------------------------------------------------------


def click_token(link_id):
    """`<id>:<signature>`: names the TrackedLink, nothing else."""
    return signing.Signer(salt=CLICK_SALT).sign(str(link_id))


def link_id_from_token(token):
    """The TrackedLink id of a click token, or None when the token was not signed by us."""
    try:
        value = signing.Signer(salt=CLICK_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def open_token(send):
    return signing.Signer(salt=OPEN_SALT).sign(send.token)


def send_token_from_open_token(token):
    try:
        return signing.Signer(salt=OPEN_SALT).unsign(token)
    except signing.BadSignature:
        return None


def absolute(path):
    return settings.CRM_BASE_URL.rstrip("/") + path


def click_url(link_id):
    return absolute(reverse("nurturing:click", args=[click_token(link_id)]))


def open_url(send):
    return absolute(reverse("nurturing:open", args=[open_token(send)]))


# Targets -----------------------------------------------------------------------------------------


def _is_own_page(url):
    base = urlsplit(settings.CRM_BASE_URL)
    parts = urlsplit(url)
    if parts.netloc.lower() != base.netloc.lower():
        return False
    path = parts.path
    prefix = base.path.rstrip("/")
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :]
    return path.startswith(OWN_PREFIXES)


def safe_target(url):
    """True when `url` may be a redirect target: http or https, a host, no user:password@, at most
    2,000 characters, a URL Django's validator accepts. Checked when the link is made and again
    before every redirect."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return False
        if "@" in parts.netloc or parts.username is not None or parts.password is not None:
            return False
        _validate(url)
    except (ValueError, ValidationError):
        return False
    return True


def trackable(url):
    """Whether `prepare` wraps this link: a safe target that is not one of the product's own pages."""
    return safe_target(url) and not _is_own_page(url)


def is_download(url):
    return urlsplit(url).path.lower().endswith(DOWNLOAD_SUFFIXES)


# Rewriting -----------------------------------------------------------------------------------------


class _AnchorFinder(HTMLParser):
    """Collects the `<a href>` start tags of a document with their place in the source."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors = []  # (line, column, source text of the tag, attrs)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            line, column = self.getpos()
            self.anchors.append((line, column, self.get_starttag_text(), attrs))

    handle_startendtag = handle_starttag


def _line_starts(source):
    """Where each line starts, counted as HTMLParser.getpos() counts them (at "\\n" only)."""
    starts = [0]
    for match in re.finditer("\n", source):
        starts.append(match.end())
    return starts


def _anchor_tag(attrs, href):
    parts = ["<a"]
    for name, value in attrs:
        if name == "href":
            value = href
        parts.append(f' {name}="{escape(value, quote=True)}"' if value is not None else f" {name}")
    return "".join(parts) + ">"


def _html_targets(html):
    """[(start, end, attrs, target)] of the anchors whose href is trackable, in document order."""
    finder = _AnchorFinder()
    finder.feed(html)
    finder.close()
    starts = _line_starts(html)
    found = []
    for line, column, text, attrs in finder.anchors:
        href = next((value for name, value in attrs if name == "href"), None)
        if href is None or text is None:
            continue
        target = href.strip()
        if not trackable(target):
            continue
        start = starts[line - 1] + column
        if html[start : start + len(text)] != text:  # the parser's position is the tag's; never guess
            continue
        found.append((start, start + len(text), attrs, target))
    return found


def _text_targets(text):
    found = []
    for match in TEXT_URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        if trackable(url):
            found.append((match.start(), match.start() + len(url), url))
    return found


def _pixel(send):
    return f'<img src="{escape(open_url(send), quote=True)}" width="1" height="1" alt="" border="0">'


def _with_pixel(html, send):
    closing = html.lower().rfind("</body")
    if closing == -1:
        return html + _pixel(send)
    return html[:closing] + _pixel(send) + html[closing:]


def prepare(*, send, html, text):
    """Rewrite the links of a saved Send's e-mail into tracked ones; returns (html, text).

    Each link of the HTML gets its own TrackedLink (position = order in the document); a URL of
    the text part reuses the HTML's link with the same target (the same e-mail in two forms), else
    gets one of its own. One INSERT for all the links of the e-mail."""
    html = html or ""
    text = text or ""
    html_found = _html_targets(html) if html else []
    text_found = _text_targets(text) if text else []
    links = []
    by_target = {}
    for _start, _end, _attrs, target in html_found:
        link = TrackedLink(send=send, position=len(links) + 1, url=target, is_download=is_download(target))
        links.append(link)
        by_target.setdefault(target, link)
    for _start, _end, target in text_found:
        if target not in by_target:
            link = TrackedLink(send=send, position=len(links) + 1, url=target, is_download=is_download(target))
            links.append(link)
            by_target[target] = link
    if links:
        TrackedLink.objects.bulk_create(links)
        if links[0].pk is None:  # a backend that cannot return ids from a bulk insert
            ids = dict(TrackedLink.objects.filter(send=send).values_list("position", "id"))
            for link in links:
                link.pk = ids[link.position]
    out_html, cursor = [], 0
    for (start, end, attrs, _target), link in zip(html_found, links, strict=False):
        out_html += [html[cursor:start], _anchor_tag(attrs, click_url(link.pk))]
        cursor = end
    out_html.append(html[cursor:])
    out_text, cursor = [], 0
    for start, end, target in text_found:
        out_text += [text[cursor:start], click_url(by_target[target].pk)]
        cursor = end
    out_text.append(text[cursor:])
    html, text = "".join(out_html), "".join(out_text)
    if html and send.sequence_id and _tracks_opens(send):
        html = _with_pixel(html, send)
    return html, text


def _tracks_opens(send):
    sequence = send.sequence
    return bool(sequence and sequence.track_opens)
