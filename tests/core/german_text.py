"""Finding English left on a German page: the visible text of a page and the English it contains.

The visible text is every text node outside `<script>`, `<style>` and `<template>`, plus the
attribute values a person reads or hears (placeholder, title, aria-label, alt, the value of a
button) and the `data-*` attributes whose texts JavaScript shows (confirmations, chart labels).

English is found two ways:
- a catalog message (its English msgid, split at placeholders and markup) that appears verbatim,
  when its German differs and it is telling: two words or more, or a message that is a single
  capitalised word of at least four letters that no German translation uses (so "Pipeline",
  "Status" or "Filter" never count, nor a field name like "city" in a placeholder);
- a word of the common English interface vocabulary (ENGLISH_WORDS) as a whole word ("Filter",
  German as well, is not one of them).
"""

import re
from functools import cache
from html.parser import HTMLParser

from tests.core.test_german import PO_FILE, parse_po

HIDDEN = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "aria-description"}
ENGLISH_WORDS = re.compile(r"\b(?:Save|Cancel|Delete|Edit|Back|Search|Add|Close|Next|Previous|Today|No(?= )|of)\b")
# The language menu names each language in its own tongue: "English" beside "Deutsch".
OWN_NAMES = {"English"}
PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[a-z]|%[sd%]|\{[^{}]*\}|<[^>]+>")


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            button_value = name == "value" and attributes.get("type") in ("submit", "button", "reset")
            if name in READ_ATTRIBUTES or button_value or (name.startswith("data-") and " " in value):
                self.parts.append(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data)


def visible_texts(html):
    """The page's texts as a person meets them, whitespace collapsed, one per node or attribute."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return [" ".join(part.split()) for part in collector.parts]


@cache
def english_phrases():
    """(phrase, msgid) pairs: the telling English fragments of the catalog's messages."""
    entries = parse_po(PO_FILE)
    german_words = set()
    for entry in entries:
        for text in entry.msgstr.values():
            german_words.update(re.findall(r"\w+", text.lower()))
    phrases = {}
    for entry in entries:
        german = " ".join(entry.msgstr.values())
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            for fragment in PLACEHOLDER.split(msgid):
                fragment = " ".join(fragment.split()).strip(" ,.:;!?()[]–—-…“”\"'")
                words = re.findall(r"[A-Za-z]+", fragment)
                if not words or fragment in german or fragment in phrases:
                    continue
                telling = len(words) >= 2 or (  # a single word: a whole capitalised message
                    fragment == words[0] == msgid
                    and fragment[0].isupper()
                    and len(fragment) >= 4
                    and fragment.lower() not in german_words
                )
                if telling:
                    phrases[fragment] = msgid
    return sorted(phrases.items(), key=lambda item: -len(item[0]))


def english_left(texts, data=()):
    """The English found in the texts, as readable findings. `data`: stored names to cut out first."""
    page = "\n".join(text for text in texts if text not in OWN_NAMES)
    for value in data:
        if value in page:
            page = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", page)
    findings = []
    for phrase, msgid in english_phrases():
        if phrase not in page:
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", page):
            findings.append(f"{_line(page, match.start())!r} has the untranslated {phrase!r} (msgid {msgid!r})")
        page = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", " ", page)
    for match in ENGLISH_WORDS.finditer(page):
        findings.append(f"{_line(page, match.start())!r} has the English word {match.group()!r}")
    return findings


def _line(page, position):
    start = page.rfind("\n", 0, position) + 1
    end = page.find("\n", position)
    return page[start : end if end >= 0 else len(page)]
