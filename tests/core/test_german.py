"""The German translation: the pages speak German, and the catalog is complete and compiled."""

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

MESSAGES = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"
PO_FILE = MESSAGES / "django.po"
MO_FILE = MESSAGES / "django.mo"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    msgctxt: str | None = None
    flags: set[str] = field(default_factory=set)


def parse_po(path):
    """A small .po reader: the active entries (obsolete `#~` ones skipped), without the header."""
    entries = []
    entry = Entry()
    target = None  # (attribute, plural index) the next continuation line belongs to

    def finish():
        nonlocal entry
        if entry.msgstr or entry.msgid:
            entries.append(entry)
        entry = Entry()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#,"):
            if entry.msgstr:
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = None, line
        else:
            if keyword in ("msgctxt", "msgid") and entry.msgstr:
                finish()
            if keyword.startswith("msgstr["):
                target = ("msgstr", int(keyword[len("msgstr[") : -1]))
            elif keyword == "msgstr":
                target = ("msgstr", 0)
            else:
                target = (keyword, None)
        text = ast.literal_eval(rest)
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        else:
            current = getattr(entry, name) or ""
            setattr(entry, name, current + text if keyword is None else text)
    finish()
    return [entry for entry in entries if entry.msgid]


@pytest.fixture(scope="module")
def entries():
    return parse_po(PO_FILE)


def test_login_page_is_german(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de"' in content
    assert "Anmelden" in content  # the button: "Log in"
    assert "Benutzername" in content
    assert "Passwort" in content


def test_board_is_german(client, rep):
    client.force_login(rep)
    response = client.get("/board/", HTTP_ACCEPT_LANGUAGE="de")
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de"' in content
    # The main navigation: Board, Leads, Activities, Dashboard
    assert ">Board</a>" in content
    assert ">Leads</a>" in content
    assert ">Aktivitäten</a>" in content
    assert ">Dashboard</a>" in content
    # The column headers: "Total" and "Weighted"
    assert "<dt>Gesamt</dt>" in content
    assert "<dt>Gewichtet</dt>" in content
    assert "Deal hinzufügen" in content  # "Add a deal"
    assert ">Activities</a>" not in content


def test_the_catalog_has_the_german_header():
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: de\\n"' in header
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert "charset=UTF-8" in header
    assert "fuzzy" not in header


def test_every_message_is_translated_and_none_is_fuzzy(entries):
    assert len(entries) > 500
    untranslated = [e.msgid for e in entries if not e.msgstr or any(not text for text in e.msgstr.values())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []
    plurals = [e for e in entries if e.msgid_plural]
    assert plurals
    assert all(sorted(e.msgstr) == [0, 1] for e in plurals)


def test_the_compiled_catalog_matches_the_po_file(entries):
    with MO_FILE.open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)
    assert catalog.info()["language"] == "de"
    stale = []
    for e in entries:
        msgid = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural:
            compiled = [catalog.ngettext(msgid, e.msgid_plural, n) for n in (1, 2)]
            if compiled != [e.msgstr[0], e.msgstr[1]]:
                stale.append(e.msgid)
        elif catalog.gettext(msgid) != e.msgstr[0]:
            stale.append(e.msgid)
    assert stale == [], "django.mo is older than django.po: run compilemessages"


def test_bottleneck_badge_speaks_the_viewers_language(client, rep, stages):
    from datetime import timedelta

    from django.utils import timezone

    from deals.models import Deal, StageHealth
    from tests import factories

    StageHealth.objects.create(stage=stages[1], age_limit=timedelta(days=15))
    for _ in range(6):
        factories.DealFactory(owner=rep, stage=stages[1])
    Deal.objects.update(stage_entered_at=timezone.now() - timedelta(days=30))
    client.force_login(rep)
    english = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en-gb").content.decode()
    german = client.get("/board/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "6 of 6 open deals in this stage longer than 1.5 × the usual 10.0 days" in english
    assert "6 von 6 offenen Deals länger in dieser Phase als 1,5 × die üblichen 10,0 Tage" in german
