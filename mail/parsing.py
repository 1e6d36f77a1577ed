"""Raw e-mail bytes → a ParsedMessage: decoded headers, addresses, date, ids, text, sanitised
HTML, attachments (docs/email.md, "What is stored").

Built on the standard `email` package with the modern policy, but it never raises on junk:
every header is decoded by hand from its raw value (8-bit headers, unknown charsets in encoded
words), every body part is decoded with a fallback (unknown charset → UTF-8 with replacement
characters, broken base64 → what decodes), and what could not be read as sent is listed in
`problems`. A message without a Message-ID gets a stable one derived from its content, so a
re-sync finds the same message again.
"""

import codecs
import email
import email.header
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from html.parser import HTMLParser

import nh3
from django.utils import timezone
from django.utils.translation import gettext as _

SNIPPET_LENGTH = 200
ANGLE_ID = re.compile(r"<[^<>\s]+>")
ADDRESS_IN_TEXT = re.compile(r"[\w.+\-=!#$%&'*/?^`{|}~]+@[\w\-]+(?:\.[\w\-]+)+")
# Headers a delivery adds or changes; left out of the derived id so that copies of one message
# in two folders (or delivered twice) get the same id.
TRACE_HEADERS = {"received", "return-path", "delivered-to", "x-original-to", "x-delivered-to", "status", "x-uid"}

# HTML: the tags nh3 allows by default, without images' remote sources, no style, no event
# handlers (nh3 never keeps on* attributes), links opened without the referrer.
HTML_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
HTML_ATTRIBUTES.setdefault("a", set()).update({"href", "title"})
HTML_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


@dataclass
class Address:
    name: str
    address: str

    def as_dict(self):
        return {"name": self.name, "address": self.address}


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    size: int
    content_id: str = ""
    inline: bool = False
    payload: bytes = b""


@dataclass
class ParsedMessage:
    message_id: str
    in_reply_to: str
    references: list
    subject: str
    from_: Address | None
    to: list
    cc: list
    bcc: list
    reply_to: str
    delivered_to: list  # Delivered-To / X-Original-To addresses (where the server put it)
    sent_at: datetime
    text_body: str
    html_body: str
    snippet: str
    attachments: list
    content_type: str
    problems: list = field(default_factory=list)

    @property
    def from_address(self):
        return self.from_.address if self.from_ else ""

    @property
    def from_name(self):
        return self.from_.name if self.from_ else ""

    @property
    def is_delivery_report(self):
        return self.content_type == "multipart/report; report-type=delivery-status"

    def problem_text(self, limit=500):
        text = "; ".join(dict.fromkeys(self.problems))
        return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_message(raw, *, internal_date=None, truncated=False):
    """Parse `raw` (bytes). `internal_date` (the server's arrival time) stands in for a missing
    or unreadable Date; `truncated` says that only the start of a large message was fetched."""
    problems = []
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as error:
        problems.append(_("unreadable message structure (%(error)s)") % {"error": type(error).__name__})
        message = email.message_from_bytes(b"", policy=policy.default)
    headers = _RawHeaders(message, problems)

    message_id = first_id(headers.get("message-id"))
    if not message_id:
        message_id = derived_message_id(raw)
        problems.append(_("no Message-ID: an id was derived from the content"))
    sent_at = _date(headers.get("date"), internal_date, problems)
    from_list = _addresses(headers.get_raw_all("from"), problems)

    body = _Body(problems, truncated=truncated)
    body.walk(message)
    text, html_body = body.text, body.html
    if not text and html_body:
        text = html_to_text(html_body)
    if truncated:
        problems.append(_("message larger than the limit: only the headers and the first text were kept"))

    reply_to = _addresses(headers.get_raw_all("reply-to"), problems)
    return ParsedMessage(
        message_id=message_id[:998],
        in_reply_to=(first_id(headers.get("in-reply-to")) or "")[:998],
        references=ANGLE_ID.findall(headers.get("references") or ""),
        subject=" ".join(headers.get("subject").split())[:500],
        from_=from_list[0] if from_list else None,
        to=_addresses(headers.get_raw_all("to"), problems),
        cc=_addresses(headers.get_raw_all("cc"), problems),
        bcc=_addresses(headers.get_raw_all("bcc"), problems),
        reply_to=reply_to[0].address if reply_to else "",
        delivered_to=[
            a.address for name in ("delivered-to", "x-original-to") for a in _addresses(headers.get_raw_all(name), [])
        ],
        sent_at=sent_at,
        text_body=text,
        html_body=sanitize_html(html_body) if html_body else "",
        snippet=make_snippet(text),
        attachments=body.attachments,
        content_type=_content_type_with_report(message),
        problems=problems,
    )


def derived_message_id(raw):
    """A stable id for a message without Message-ID: a hash of its headers (without the ones a
    delivery adds) and its body."""
    head, _separator, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    kept = []
    name = b""
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation belongs to the header before it
            if name not in TRACE_HEADERS:
                kept.append(line.strip())
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        if name not in TRACE_HEADERS:
            kept.append(line.strip())
    digest = hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.replace(b"\r\n", b"\n")).hexdigest()
    return f"<{digest}@no-message-id.invalid>"


HEADER_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def storable(text, *, header=False):
    """Text the database takes: no NUL (PostgreSQL refuses it; in headers no control character
    at all) and no lone surrogates."""
    text = HEADER_CONTROLS.sub(" ", text) if header else text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def make_snippet(text):
    return " ".join(text.split())[:SNIPPET_LENGTH]


# --- headers ---------------------------------------------------------------------------------


class _RawHeaders:
    """Header values decoded from the raw source: 8-bit bytes as UTF-8 (else Latin-1), encoded
    words with their charset (unknown → UTF-8 with replacement), never an exception."""

    def __init__(self, message, problems):
        self.problems = problems
        self.values = {}
        try:
            items = message.raw_items()
            for name, value in items:
                self.values.setdefault(name.lower(), []).append(value)
        except Exception:
            problems.append(_("unreadable headers"))

    def get_all(self, name):
        return [self._decode(value) for value in self.values.get(name, [])]

    def get_raw_all(self, name):
        """Unfolded, 8-bit fixed, encoded words left as they are (for address lists, whose
        encoded display names may contain commas)."""
        return [
            storable(_unfold(_fix_8bit(str(value), self.problems)), header=True) for value in self.values.get(name, [])
        ]

    def get(self, name):
        values = self.values.get(name)
        return self._decode(values[0]) if values else ""

    def _decode(self, value):
        value = _unfold(_fix_8bit(str(value), self.problems))
        return storable(decode_words(value, self.problems), header=True)


def _unfold(value):
    return re.sub(r"\r?\n[ \t]*", " ", value).strip()


def _fix_8bit(value, problems):
    """A raw header with undeclared 8-bit bytes arrives with surrogate escapes."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(_("8-bit header without a charset, read as Latin-1"))
        return data.decode("latin-1")


def decode_words(value, problems):
    """Decode RFC 2047 encoded words; an unknown charset is read as UTF-8 with replacement."""
    if "=?" not in value:
        return value
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        problems.append(_("malformed encoded header"))
        return value
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        parts.append(_decode_bytes(chunk, charset or "ascii", problems, what="header"))
    # decode_header drops the whitespace between an encoded word and plain text; what it returns
    # as separate chunks is joined with single spaces where the source had them.
    return _join_header_chunks(parts, chunks)


def _join_header_chunks(parts, chunks):
    out = ""
    for index, part in enumerate(parts):
        plain_neighbour = index and (chunks[index][1] is None or chunks[index - 1][1] is None)
        if plain_neighbour and not out.endswith(" ") and not part.startswith(" "):
            out += " "
        out += part
    return " ".join(out.split())


def _decode_bytes(data, charset, problems, *, what):
    charset = (charset or "").strip().strip('"').lower() or "us-ascii"
    try:
        codecs.lookup(charset)
    except LookupError:
        text = _("unknown charset %(charset)s in a header, read as UTF-8") if what == "header" else None
        text = text or _("unknown charset %(charset)s in the text, read as UTF-8")
        problems.append(text % {"charset": f"'{charset[:40]}'"})
        return data.decode("utf-8", "replace")
    try:
        return data.decode(charset)
    except UnicodeDecodeError:
        if charset in ("us-ascii", "ascii"):
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("latin-1")
        text = _("characters in a header not valid in %(charset)s, replaced") if what == "header" else None
        text = text or _("characters in the text not valid in %(charset)s, replaced")
        problems.append(text % {"charset": charset[:40]})
        return data.decode(charset, "replace")


def first_id(value):
    if not value:
        return ""
    found = ANGLE_ID.search(value)
    if found:
        return found.group(0)
    token = value.strip().split()[0] if value.strip() else ""
    return f"<{token.strip('<>')}>" if token.strip("<>") else ""


def _addresses(values, problems):
    """`values`: one decoded header value or a list of them → Address list (lower-case
    addresses, duplicates dropped). Unparseable text falls back to what looks like addresses."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    found = []
    for value in values:
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            pairs = []
        pairs = [(name, addr) for name, addr in pairs if "@" in addr]
        if not pairs and "@" in value:
            pairs = [("", match) for match in ADDRESS_IN_TEXT.findall(value)]
            if pairs:
                problems.append(_("malformed address header"))
        found.extend(pairs)
    seen, result = set(), []
    for name, addr in found:
        addr = addr.strip().strip("<>").lower()[:320]
        if addr and addr not in seen:
            seen.add(addr)
            name = storable(decode_words(name, problems), header=True) if "=?" in name else name
            result.append(Address(name=" ".join(name.split())[:300], address=addr))
    return result


def _date(value, internal_date, problems):
    parsed = None
    if value:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
    if parsed is not None:
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    problems.append(
        _("unreadable Date: the arrival time was used") if value else _("no Date: the arrival time was used")
    )
    return internal_date or timezone.now()


def _content_type_with_report(message):
    try:
        content_type = message.get_content_type()
        if content_type == "multipart/report":
            return f"{content_type}; report-type={(message.get_param('report-type') or '').lower()}"
        return content_type
    except Exception:
        return "text/plain"


# --- body ------------------------------------------------------------------------------------


class _Body:
    """Walks the MIME tree: the first text/plain and text/html that are not attachments are the
    bodies; everything else (and message/* parts as a whole) is an attachment."""

    def __init__(self, problems, *, truncated):
        self.problems = problems
        self.truncated = truncated
        self.text = ""
        self.html = ""
        self.attachments = []

    def walk(self, part, depth=0):
        if depth > 20:
            self.problems.append(_("MIME nesting too deep"))
            return
        try:
            content_type = part.get_content_type()
        except Exception:
            content_type = "text/plain"
        self._note_defects(part)
        if content_type.startswith("multipart/"):
            payload = part.get_payload()
            if isinstance(payload, list):
                for child in payload:
                    self.walk(child, depth + 1)
            else:  # a multipart without a usable boundary: read it as text
                self.problems.append(_("multipart without its parts (boundary missing)"))
                self._leaf(part, "text/plain")
            return
        self._leaf(part, content_type)

    def _note_defects(self, part):
        for defect in getattr(part, "defects", []):
            name = type(defect).__name__
            text = {
                "StartBoundaryNotFoundDefect": _("MIME boundary not found"),
                "CloseBoundaryNotFoundDefect": _("MIME closing boundary missing"),
                "MultipartInvariantViolationDefect": _("multipart without its parts (boundary missing)"),
                "NoBoundaryInMultipartDefect": _("multipart without its parts (boundary missing)"),
                "InvalidBase64PaddingDefect": _("broken base64 content, partly decoded"),
                "InvalidBase64CharactersDefect": _("broken base64 content, partly decoded"),
                "InvalidBase64LengthDefect": _("broken base64 content, partly decoded"),
            }.get(name)
            if text:
                self.problems.append(text)

    def _leaf(self, part, content_type):
        disposition = _safe(part.get_content_disposition)
        filename = _safe(part.get_filename) or ""
        if filename:
            filename = decode_words(_fix_8bit(filename, self.problems), self.problems)
        is_body_text = content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename
        if is_body_text and not (self.text if content_type == "text/plain" else self.html):
            data = self._payload(part)
            charset = _safe(part.get_content_charset) or ("utf-8" if _is_8bit(data) else "us-ascii")
            decoded = storable(_decode_bytes(data, charset, self.problems, what="text"))
            if content_type == "text/plain":
                self.text = decoded.replace("\r\n", "\n")
            else:
                self.html = decoded
            return
        if content_type.startswith("message/"):
            data = _message_part_bytes(part)
            filename = filename or ("message.eml" if content_type == "message/rfc822" else content_type.split("/")[1])
        else:
            data = self._payload(part)
        self.attachments.append(
            ParsedAttachment(
                filename=_clean_filename(filename, content_type, len(self.attachments) + 1),
                content_type=storable(content_type, header=True)[:127],
                size=len(data),
                content_id=first_id(_safe(lambda: str(part.get("content-id") or "")) or "")[:300],
                inline=disposition == "inline",
                payload=data,
            )
        )
        self._note_defects(part)

    def _payload(self, part):
        try:
            data = part.get_payload(decode=True)
        except Exception:
            self.problems.append(_("undecodable part content"))
            return b""
        if data is None:
            return b""
        if isinstance(data, str):
            return data.encode("utf-8", "surrogateescape")
        return data


def _safe(method):
    try:
        return method()
    except Exception:
        return None


def _is_8bit(data):
    return any(byte > 127 for byte in data[:65536])


def _message_part_bytes(part):
    """The content of a message/* part as sent (an attached e-mail, a delivery report)."""
    try:
        raw = part.as_bytes(policy=policy.compat32)
    except Exception:
        return b""
    ends = [(raw.find(sep), len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if sep in raw]
    if not ends:
        return b""
    position, length = min(ends)
    return raw[position + length :]


def _clean_filename(filename, content_type, number):
    name = storable(filename or "", header=True).replace("/", "_").replace("\\", "_")
    name = " ".join(name.split()).strip(". ")
    if not name:
        extension = {"text/plain": ".txt", "text/html": ".html", "application/pdf": ".pdf"}.get(content_type, "")
        name = f"attachment-{number}{extension}"
    return name[:255]


# --- HTML ------------------------------------------------------------------------------------


def _keep_attribute(tag, attribute, value):
    # Remote images would tell the sender when and where the message was read; they are
    # dropped (the alt text stays). Images of the message itself (cid:) are kept.
    if tag == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


def sanitize_html(source):
    """Safe HTML for display: no scripts, no event handlers, no styles (element or attribute),
    no remote images, links with rel="noopener noreferrer"."""
    return nh3.clean(
        source,
        tags=set(nh3.ALLOWED_TAGS),
        clean_content_tags={"script", "style", "title", "head"},
        attributes=HTML_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=HTML_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr", "pre"}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(source):
    extractor = _TextExtractor()
    try:
        extractor.feed(source)
        extractor.close()
    except Exception:
        return html.unescape(re.sub(r"<[^>]+>", " ", source)).strip()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
