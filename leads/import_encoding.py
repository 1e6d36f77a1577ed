"""The encoding of an uploaded CSV: detect it, read the bytes strictly, refuse what is not text.

Excel writes "CSV UTF-8" (UTF-8 with a byte-order mark) or, as plain "CSV" on a German or
Western European Windows, Windows-1252. Windows-1252 is ISO-8859-1 (Latin-1) plus printable
characters (€ „ “ ‚ ‘ ’ – — …) where Latin-1 has invisible control codes, so a file whose bytes
read as Windows-1252 is read as that. The guess:

1. The bytes are valid UTF-8 (with or without a byte-order mark) → UTF-8.
2. Else, if they contain sequences that are UTF-8 for Latin letters and punctuation (ü saved
   as UTF-8 is C3 BC, which Windows-1252 shows as "Ã¼"), the file mixes encodings → refused.
3. Else, if they read as Windows-1252 → Windows-1252.
4. Else (one of the five bytes Windows-1252 leaves undefined) → refused.

Whatever the encoding (guessed or chosen), the text must not contain control characters other
than tab and line breaks, nor U+FFFD (a character already lost by an earlier conversion), and a
single-byte reading must not contain UTF-8 sequences. Every refusal names the line, the column
(by its header name where the header can be read) and the byte or character.
"""

import csv
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.importing import ImportFileError

AUTO = "auto"
UTF8 = "utf-8"
CP1252 = "cp1252"
LATIN1 = "latin-1"
LABELS = {
    UTF8: gettext_lazy("UTF-8"),
    CP1252: gettext_lazy("Windows-1252 (Western European; Excel’s “CSV” on Windows)"),
    LATIN1: gettext_lazy("ISO-8859-1 (Latin-1)"),
}

# UTF-8 of À–ÿ (C3 80–BF), of the no-break space and the signs ° § « » ² ³ … (C2 A0–BF), of
# – — ‘ ’ ‚ “ ” „ • … (E2 80 93–A6) and of € (E2 82 AC). Read as Windows-1252 these are
# "Ã¼", "Â°", "â€œ", "â‚¬": letters that do not occur in this order in Western European text.
_UTF8_SEQUENCE = re.compile(rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]|\xe2\x80[\x93-\xa6]|\xe2\x82\xac")
# Control characters (C0 except tab, LF, CR; DEL; C1) and the replacement character.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def label(encoding):
    return LABELS.get(encoding, encoding)


def detect(raw):
    """The encoding to read `raw` with: UTF8 or CP1252; ImportFileError when it is neither."""
    refuse_binary(raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    else:
        return UTF8
    utf8 = _UTF8_SEQUENCE.search(raw)
    if utf8:
        raise ImportFileError(
            _(
                "The file mixes encodings: line %(utf8_line)s is UTF-8 (“%(text)s”), but %(where)s, byte 0x%(byte)02X, "
                "is not. Open it in a spreadsheet, check the characters and save it again as “CSV UTF-8”."
            )
            % {
                "utf8_line": _line(raw, utf8.start()),
                "text": utf8.group().decode("utf-8"),
                "where": _where(raw, bad),
                "byte": raw[bad],
            }
        )
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "%(where)s: byte 0x%(byte)02X is neither UTF-8 nor Windows-1252 (Western European). The file is "
                "damaged or in another encoding: save it as “CSV UTF-8”."
            )
            % {"where": _capital(_where(raw, exc.start)), "byte": raw[exc.start]}
        ) from None
    return CP1252


def decode(raw, *, encoding):
    """The text of `raw` read strictly with `encoding` (UTF8, CP1252 or LATIN1); a leading
    byte-order mark is dropped. ImportFileError names the first place that is not text."""
    refuse_binary(raw)
    if encoding == UTF8:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _(
                    "%(where)s: byte 0x%(byte)02X is not UTF-8. Choose the encoding the file was saved in (Excel’s "
                    "plain “CSV” on Windows is Windows-1252) or “Detect automatically”, or save it as “CSV UTF-8”."
                )
                % {"where": _capital(_where(raw, exc.start)), "byte": raw[exc.start]}
            ) from None
    elif encoding in (CP1252, LATIN1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("%(where)s: byte 0x%(byte)02X is not a character in %(encoding)s. Choose another encoding.")
                % {"where": _capital(_where(raw, exc.start)), "byte": raw[exc.start], "encoding": label(encoding)}
            ) from None
        utf8 = _UTF8_SEQUENCE.search(raw)
        if utf8:
            raise ImportFileError(
                _(
                    "%(where)s: “%(shown)s” is “%(meant)s” saved as UTF-8, so this part of the file is not "
                    "%(encoding)s. Choose UTF-8; if other lines are not UTF-8 either, the file mixes encodings: "
                    "save it again as “CSV UTF-8”."
                )
                % {
                    "where": _capital(_where(raw, utf8.start())),
                    "shown": utf8.group().decode(encoding, errors="replace"),
                    "meant": utf8.group().decode("utf-8"),
                    "encoding": label(encoding),
                }
            )
    else:
        raise ImportFileError(_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding})
    bad = _NOT_TEXT.search(text)
    if bad:
        char = bad.group()
        where = _capital(_where(text, bad.start()))
        if char == "\ufffd":
            raise ImportFileError(
                _(
                    "%(where)s: the file contains “�” (U+FFFD), a character that an earlier conversion "
                    "could not read and replaced. The original letter is lost; correct it in the file or export "
                    "it again from its source."
                )
                % {"where": where}
            )
        raise ImportFileError(
            _(
                "%(where)s: U+%(code)04X is a control character, not text. The file is not %(encoding)s "
                "(or not a text file): choose another encoding or save it as “CSV UTF-8”."
            )
            % {"where": where, "code": ord(char), "encoding": label(encoding)}
        )
    return text


def refuse_binary(raw):
    """Spreadsheets, UTF-16 text and other binary files are refused before any decoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            _("This file is UTF-16 (Excel’s “Unicode text”). Save it as “CSV UTF-8” and upload it again.")
        )
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(
            _(
                "This is not a text CSV file (it contains binary data: it looks like an Excel workbook). In Excel, "
                "choose “Save as” → “CSV UTF-8”."
            )
        )
    nul = raw.find(b"\x00")
    if nul != -1:
        raise ImportFileError(
            _("This is not a text CSV file (it contains binary data, first on line %(line)s). Export it as CSV first.")
            % {"line": _line(raw, nul)}
        )


# Where in the file -------------------------------------------------------------------------------


def _line(data, offset):
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1


def _where(data, offset):
    """ "line 3, column “company”" for the cell that holds `offset` (bytes or text)."""
    as_text = data.decode("latin-1") if isinstance(data, bytes) else data
    line = _line(as_text, offset)
    start = as_text.rfind("\n", 0, offset) + 1
    first_line = as_text.split("\n", 1)[0].lstrip("\ufeffï»¿")
    delimiter = max(",;\t", key=first_line.count)
    try:
        index = len(next(csv.reader([as_text[start:offset] + "x"], delimiter=delimiter))) - 1
        header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return _("line %(line)s") % {"line": line}
    if line > 1 and index < len(header) and header[index].strip():
        return _("line %(line)s, column “%(column)s”") % {"line": line, "column": header[index].strip()}
    return _("line %(line)s, column %(column)s") % {"line": line, "column": index + 1}


def _capital(text):
    return text[:1].upper() + text[1:]
