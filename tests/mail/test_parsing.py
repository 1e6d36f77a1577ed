"""Parsing raw e-mails never fails: what can be read is kept, what cannot is named in
`problems` (no server needed)."""

import base64
import email.message
from datetime import UTC, datetime

from mail.parsing import parse_message, sanitize_html


def test_an_unknown_charset_is_read_as_utf8_and_noted():
    raw = (
        b"From: =?x-unknown?q?J=C3=B6rg?= <Joerg@Customer.TEST>\r\nTo: rep@crm.test\r\nSubject: Preis\r\n"
        b"Message-ID: <c1@customer.test>\r\nDate: Mon, 30 Nov 2026 09:15:00 +0100\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\nDer Preis f\xc3\xbcr 10 St\xc3\xbcck.\r\n"
    )
    parsed = parse_message(raw)

    assert parsed.text_body.strip() == "Der Preis für 10 Stück."
    assert (parsed.from_name, parsed.from_address) == ("Jörg", "joerg@customer.test")
    assert parsed.sent_at == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    assert "unknown charset 'x-unknown' in the text, read as UTF-8" in parsed.problems


def test_eight_bit_headers_without_a_charset_are_decoded():
    raw = "From: Müller <m@customer.test>\nSubject: Grüße\nMessage-ID: <8bit@x>\n\nHallo".encode()
    latin = "Subject: Grüße\nMessage-ID: <latin@x>\n\nHallo".encode("latin-1")

    assert (parse_message(raw).subject, parse_message(raw).from_name) == ("Grüße", "Müller")
    assert parse_message(latin).subject == "Grüße"
    assert "8-bit header without a charset, read as Latin-1" in parse_message(latin).problems


def test_malformed_mime_keeps_the_readable_text_and_names_what_was_missing():
    no_closing_boundary = (
        b"Subject: Broken\nMessage-ID: <b1@x>\nContent-Type: multipart/mixed; boundary=AAA\n\n"
        b"--AAA\nContent-Type: text/plain\n\nFirst part\n--AAA\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0x!!!LjQK\n"
    )
    parsed = parse_message(no_closing_boundary)
    assert parsed.text_body.strip() == "First part"
    assert [a.filename for a in parsed.attachments] == ["a.pdf"]
    assert parsed.attachments[0].payload.startswith(b"%PDF-1")
    assert "MIME closing boundary missing" in parsed.problems
    assert "broken base64 content, partly decoded" in parsed.problems

    no_boundary = b"Subject: No boundary\nMessage-ID: <b2@x>\nContent-Type: multipart/mixed\n\nJust text\n"
    parsed = parse_message(no_boundary)
    assert parsed.text_body.strip() == "Just text"
    assert "multipart without its parts (boundary missing)" in parsed.problems


def test_junk_input_gives_a_message_not_an_exception():
    for raw in (
        b"",
        b"\x00\xff\xfe garbage",
        b"Content-Type: multipart/alternative; boundary=\n\n--\n--\n",
        b":::\n\n",
    ):
        parsed = parse_message(raw)
        assert parsed.message_id.endswith("@no-message-id.invalid>")
        assert parsed.sent_at.tzinfo is not None


def test_a_message_without_message_id_gets_the_same_derived_id_each_time():
    raw = b"From: a@customer.test\nSubject: Hi\nDate: Mon, 30 Nov 2026 09:15:00 +0100\n\nBody\n"
    delivered_again = b"Received: from mx by server; Tue, 1 Dec 2026 10:00:00 +0000\nDelivered-To: x@crm.test\n" + raw
    other = raw.replace(b"Body", b"Other body")

    first, second, third = parse_message(raw), parse_message(raw), parse_message(delivered_again)

    assert first.message_id == second.message_id == third.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith("@no-message-id.invalid>")
    assert parse_message(other).message_id != first.message_id
    assert "no Message-ID: an id was derived from the content" in first.problems


def test_a_missing_or_garbage_date_falls_back_to_the_arrival_time():
    arrival = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    missing = parse_message(b"Message-ID: <d1@x>\n\nx", internal_date=arrival)
    garbage = parse_message(b"Message-ID: <d2@x>\nDate: yesterday-ish\n\nx", internal_date=arrival)

    assert missing.sent_at == garbage.sent_at == arrival
    assert "no Date: the arrival time was used" in missing.problems
    assert "unreadable Date: the arrival time was used" in garbage.problems


def test_ids_references_and_addresses_are_normalised():
    raw = (
        b"Message-ID:  abc@customer.test \nIn-Reply-To: <parent@crm.test> (comment)\n"
        b"References: <root@crm.test>\n <parent@crm.test>\n"
        b'To: "Doe, Jane" <Jane@Customer.Test>, bob@customer.test, BOB@customer.test\n'
        b"Cc: =?utf-8?q?M=C3=BCller=2C_Hans?= <hans@customer.test>\n\nx"
    )
    parsed = parse_message(raw)

    assert parsed.message_id == "<abc@customer.test>"
    assert parsed.in_reply_to == "<parent@crm.test>"
    assert parsed.references == ["<root@crm.test>", "<parent@crm.test>"]
    assert [(a.name, a.address) for a in parsed.to] == [("Doe, Jane", "jane@customer.test"), ("", "bob@customer.test")]
    assert [(a.name, a.address) for a in parsed.cc] == [("Müller, Hans", "hans@customer.test")]


def test_html_is_sanitised_scripts_handlers_styles_and_remote_images_removed():
    source = (
        '<html><head><style>body{color:red}</style><title>T</title></head><body onload="steal()">'
        '<p style="color:red" onclick="steal()">Dear customer,<script>steal()</script></p>'
        '<img src="https://tracker.example/pixel.gif" alt="logo"><img src="cid:logo@x" alt="inline">'
        '<a href="https://example.com/offer" target="_blank">offer</a><a href="javascript:steal()">bad</a>'
        "<iframe src='https://x'></iframe></body></html>"
    )
    clean = sanitize_html(source)

    for forbidden in ("script", "steal", "style", "onclick", "onload", "tracker.example", "iframe", "javascript"):
        assert forbidden not in clean, forbidden
    assert '<img alt="logo">' in clean
    assert '<img src="cid:logo@x" alt="inline">' in clean
    assert '<a href="https://example.com/offer" rel="noopener noreferrer">offer</a>' in clean


def test_an_html_only_message_gets_its_text_from_the_html():
    message = email.message.EmailMessage()
    message["Subject"] = "HTML only"
    message["Message-ID"] = "<h1@x>"
    message.set_content("<p>Hello <b>Anna</b>,</p><p>the offer is attached.</p><script>x()</script>", subtype="html")
    parsed = parse_message(message.as_bytes())

    assert parsed.text_body == "Hello Anna,\n\nthe offer is attached."
    assert parsed.snippet == "Hello Anna, the offer is attached."
    assert "<script>" not in parsed.html_body and "<b>Anna</b>" in parsed.html_body


def test_attachments_keep_decoded_names_types_sizes_and_content_ids():
    message = email.message.EmailMessage()
    message["Subject"] = "Files"
    message["Message-ID"] = "<f1@x>"
    message.set_content("See attached.")
    message.add_attachment(b"%PDF-1.4 offer", maintype="application", subtype="pdf", filename="Angebot Ä 2026.pdf")
    message.add_attachment(
        b"\x89PNG", maintype="image", subtype="png", filename="logo.png", disposition="inline", cid="<logo@x>"
    )
    parsed = parse_message(message.as_bytes())

    assert b"filename*=utf-8''" in message.as_bytes()  # RFC 2231 on the wire
    assert [(a.filename, a.content_type, a.size, a.inline, a.content_id) for a in parsed.attachments] == [
        ("Angebot Ä 2026.pdf", "application/pdf", 14, False, ""),
        ("logo.png", "image/png", 4, True, "<logo@x>"),
    ]
    assert parsed.text_body.strip() == "See attached."


def test_a_25_mb_attachment_is_read_with_its_size():
    payload = bytes(range(256)) * (25 * 1024 * 1024 // 256)
    raw = (
        b"Subject: Large\nMessage-ID: <large@x>\nDate: Mon, 30 Nov 2026 09:15:00 +0100\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nThe scan.\n--B\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename=scan.pdf\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(payload)
        + b"--B--\n"
    )
    parsed = parse_message(raw)

    assert [(a.filename, a.size) for a in parsed.attachments] == [("scan.pdf", 25 * 1024 * 1024)]
    assert parsed.problems == []


def test_folder_names_are_sent_in_imap_modified_utf7():
    from mail.folders import encode

    assert encode("INBOX") == "INBOX"
    assert encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"  # RFC 3501's example
    assert encode("Kunden/Müller & Söhne") == "Kunden/M&APw-ller &- S&APY-hne"


class ListingServer:
    """The LIST answer of a server, as imaplib returns it."""

    def __init__(self, lines):
        self.lines = lines

    def list(self):
        return "OK", self.lines


def test_the_sent_folder_is_the_one_flagged_sent_else_a_usual_name():
    from mail.folders import find_sent

    def sent_folder_name(server):
        return find_sent(server)[0] or ""

    flagged = [
        b'(\\HasNoChildren) "/" INBOX',
        b'(\\HasNoChildren \\Sent) "/" "Postausgang"',
        b'(\\HasNoChildren) "/" Sent',
    ]
    unflagged = [b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "." "Gesendete Elemente"', b'(\\Noselect) "/" NIL']
    literal = [(b'(\\HasNoChildren \\Sent) "/" {4}', b"Sent"), b'(\\HasNoChildren) "/" INBOX']

    assert sent_folder_name(ListingServer(flagged)) == "Postausgang"
    assert sent_folder_name(ListingServer(unflagged)) == "Gesendete Elemente"
    assert sent_folder_name(ListingServer(literal)) == "Sent"
    assert sent_folder_name(ListingServer([b'(\\HasNoChildren) "/" INBOX'])) == ""
