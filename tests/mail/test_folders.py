"""IMAP folder names (mail/folders.py): modified UTF-7, quoting, reading LIST answers."""

from mail import folders


def test_folder_names_round_trip_through_modified_utf7():
    for name in ("INBOX", "Gesendete Objekte", "Entwürfe", "Ä&Ö", "日本語", "a&b"):
        assert folders.decode(folders.encode(name)) == name
    assert folders.encode("Entwürfe") == "Entw&APw-rfe"  # RFC 3501 5.1.3
    assert folders.encode("a&b") == "a&-b"


def test_names_are_quoted_for_commands():
    assert folders.quoted('Sent "old"') == '"Sent \\"old\\""'


def test_list_answers_give_flags_and_names_quoted_literal_or_atom():
    data = [
        b'(\\HasNoChildren \\Sent) "/" "Sent Items"',
        b'(\\HasNoChildren) "." INBOX',
        (b'(\\HasNoChildren \\Drafts) "/" {6}', b"Drafts"),
        None,
    ]
    assert folders.parse_list(data) == [
        (["\\HasNoChildren", "\\Sent"], "Sent Items"),
        (["\\HasNoChildren"], "INBOX"),
        (["\\HasNoChildren", "\\Drafts"], "Drafts"),
    ]


class _FakeList:
    """Stands in for an IMAP server's LIST answer (the real server is in test_test_connection.py)."""

    capabilities = ("IMAP4REV1",)

    def __init__(self, lines):
        self.lines = lines

    def list(self, *args):
        return "OK", self.lines


def test_without_a_sent_mark_a_usual_name_is_taken_also_nested_under_the_inbox():
    client = _FakeList([b'(\\HasNoChildren) "." "INBOX.Gesendet"', b'(\\HasNoChildren) "." INBOX'])
    assert folders.find_sent(client) == ("INBOX.Gesendet", "name")


def test_the_special_use_mark_wins_over_names():
    client = _FakeList([b'(\\HasNoChildren) "/" Sent', b'(\\HasNoChildren \\Sent) "/" "Postausgang alt"'])
    assert folders.find_sent(client) == ("Postausgang alt", "special-use")


def test_no_sent_folder_is_none():
    assert folders.find_sent(_FakeList([b'(\\HasNoChildren) "/" INBOX'])) == (None, None)
