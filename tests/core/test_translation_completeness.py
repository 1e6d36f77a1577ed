"""Every translatable string of the project has a German translation.

The strings are extracted from the source (tests/core/translatable.py: Python gettext calls and
the templates' translate/blocktranslate, the directories of docs/translations.md skipped) and
looked up in locale/de/LC_MESSAGES/django.po: a message that is missing there, has an empty
translation or is marked fuzzy fails the test, named with its file and line.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.core.test_german import PO_FILE, parse_po
from tests.core.translatable import IGNORED, extract

ROOT = Path(settings.BASE_DIR)


def untranslated(messages, entries):
    """`file:line: message` for each message without a usable German translation."""
    catalog = {(entry.msgctxt, entry.msgid): entry for entry in entries}
    problems = []
    for message in messages:
        entry = catalog.get(message.key)
        if entry is None:
            reason = "missing"
        elif "fuzzy" in entry.flags:
            reason = "fuzzy"
        elif not entry.msgstr or not all(entry.msgstr.values()):
            reason = "empty"
        elif message.plural and (entry.msgid_plural is None or sorted(entry.msgstr) != [0, 1]):
            reason = "without its plural"
        else:
            continue
        context = f" (context {message.context!r})" if message.context else ""
        problems.append(f"{message.path}:{message.line}: {reason}: {message.msgid!r}{context}")
    return problems


def test_every_project_string_has_a_german_translation():
    messages = extract(ROOT)
    assert len(messages) > 2000  # the extraction reads the whole project
    problems = untranslated(messages, parse_po(PO_FILE))
    assert problems == [], "Strings without a German translation (docs/translations.md):\n" + "\n".join(problems)


def test_a_new_untranslated_template_string_is_reported_with_its_file(tmp_path):
    (tmp_path / "templates" / "deals").mkdir(parents=True)
    (tmp_path / "templates" / "deals" / "new.html").write_text(
        "{% load i18n %}\n<h1>{% translate 'Deals' %}</h1>\n"
        "<p>{% translate 'A sentence nobody has translated yet' %}</p>\n"
        "{% blocktranslate count counter=3 %}One new thing{% plural %}{{ counter }} new things{% endblocktranslate %}\n",
        encoding="utf-8",
    )
    (tmp_path / "deals").mkdir()
    (tmp_path / "deals" / "labels.py").write_text(
        "from django.utils.translation import pgettext_lazy\nLABEL = pgettext_lazy('a deal', 'Not yet in German')\n",
        encoding="utf-8",
    )
    # The ignored directories are not read.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "page.html").write_text("{% translate 'Only in a test' %}", encoding="utf-8")

    problems = untranslated(extract(tmp_path), parse_po(PO_FILE))

    assert problems == [
        "deals/labels.py:2: missing: 'Not yet in German' (context 'a deal')",
        "templates/deals/new.html:3: missing: 'A sentence nobody has translated yet'",
        "templates/deals/new.html:4: missing: 'One new thing'",
    ]


def test_a_fuzzy_or_empty_entry_counts_as_untranslated(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        "{% load i18n %}{% translate 'Board' %} {% translate 'Leads' %}", encoding="utf-8"
    )
    po = PO_FILE.read_text(encoding="utf-8")
    po = po.replace('msgid "Leads"\nmsgstr "Leads"', 'msgid "Leads"\nmsgstr ""', 1)
    po = po.replace('msgid "Board"\n', '#, fuzzy\nmsgid "Board"\n', 1)
    (tmp_path / "django.po").write_text(po, encoding="utf-8")

    problems = untranslated(extract(tmp_path), parse_po(tmp_path / "django.po"))

    assert problems == ["templates/page.html:1: fuzzy: 'Board'", "templates/page.html:1: empty: 'Leads'"]


def _copy_sources(target):
    def ignore(directory, names):
        return [name for name in names if name in IGNORED or name.startswith(".")]

    for child in ROOT.iterdir():
        if child.name in IGNORED or child.name.startswith("."):
            continue
        if child.is_dir():
            shutil.copytree(child, target / child.name, ignore=ignore)
        elif child.suffix in (".py", ".html", ".txt"):
            shutil.copy2(child, target / child.name)


def test_the_extraction_finds_what_makemessages_finds(tmp_path):
    """makemessages (with xgettext) run on a copy of the sources finds the same messages."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xgettext (Debian's gettext package) is missing: .ci/run installs it")
        pytest.skip("xgettext (Debian's gettext package) is not installed")
    _copy_sources(tmp_path)
    (tmp_path / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        with override_settings(LOCALE_PATHS=[]):
            call_command("makemessages", locale=["de"], ignore_patterns=sorted(IGNORED), verbosity=0)
    finally:
        os.chdir(here)
    from_makemessages = {(e.msgctxt, e.msgid) for e in parse_po(tmp_path / "locale/de/LC_MESSAGES/django.po")}
    extracted = {message.key for message in extract(ROOT)}
    assert len(from_makemessages) > 2000
    # A gettext call inside an f-string is called at run time but xgettext does not see it.
    assert sorted(extracted - from_makemessages, key=str) == []
    assert sorted(from_makemessages - extracted, key=str) == []
