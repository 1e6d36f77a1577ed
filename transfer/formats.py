"""Reading an uploaded CSV or Excel file into a header and rows, and writing an Excel export.

CSV goes through the lead import's encoding detection (leads.import_encoding: UTF-8 with or
without byte-order mark, Windows-1252, refusals that name line and column) and its delimiter
rule (comma, semicolon or tab, whichever the header line has most of). Excel files are read with
openpyxl from the first worksheet, values as the cells hold them (numbers, dates), never formulas.

The Excel export is typed and formula-safe: numbers and dates are written as Excel numbers and
dates, every other value as a string cell (an openpyxl string that starts with "=" would become a
formula; a string cell never is), with the characters XML cannot hold removed.
"""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import InvalidFileException

from leads import import_encoding
from leads.importing import ImportFileError
from pipeline_crm import csvexport

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def format_of(file_name, raw):
    """ "xlsx" for an Excel workbook (by its zip signature or its name), else "csv"."""
    if raw.startswith(b"PK\x03\x04") or file_name.lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def read(raw, *, file_format, encoding=import_encoding.AUTO, max_rows=None):
    """(headers, rows, encoding used): rows are (line number, [cell values]) without blank rows.

    Raises ImportFileError with a message for the user when the file cannot be read or has more
    than `max_rows` rows (TRANSFER_IMPORT_MAX_ROWS; reading stops there, so a small compressed
    workbook cannot fill the memory with millions of rows)."""
    max_rows = max_rows or settings.TRANSFER_IMPORT_MAX_ROWS
    if file_format == "xlsx":
        headers, rows = _read_xlsx(raw, max_rows)
        used = ""
    else:
        used = import_encoding.detect(raw) if encoding == import_encoding.AUTO else encoding
        headers, rows = _read_csv(import_encoding.decode(raw, encoding=used), max_rows)
    headers = [str(h if h is not None else "").strip() for h in headers]
    if not any(headers):
        raise ImportFileError(_("The first line must name the columns."))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    return headers, rows, used


def _too_many(max_rows):
    return ImportFileError(_("The file has more than %(max)s rows; split it.") % {"max": max_rows})


def _read_csv(text, max_rows):
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        headers = next(reader)
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(rows) == max_rows:
                    raise _too_many(max_rows)
                rows.append((reader.line_num, [csvexport.text_from_cell(cell) for cell in row]))
    except csv.Error as exc:
        raise ImportFileError(
            _("The file cannot be read as CSV near line %(line)s: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from None
    return headers, rows


def _read_xlsx(raw, max_rows):
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(
            _("The file cannot be read as an Excel workbook (.xlsx). Save it again from Excel, or as “CSV UTF-8”.")
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFileError(_("The workbook has no worksheet."))
        values = sheet.iter_rows(values_only=True)
        headers = next(values, None)
        if headers is None:
            raise ImportFileError(_("The file is empty."))
        rows = []
        for number, row in enumerate(values, start=2):
            cells = ["" if cell is None else cell for cell in row]
            if any(str(cell).strip() for cell in cells):
                if len(rows) == max_rows:
                    raise _too_many(max_rows)
                rows.append((number, cells))
    finally:
        workbook.close()
    return list(headers), rows


# --- the Excel export --------------------------------------------------------------------------


def _xlsx_value(value, kind):
    """The value an Excel cell gets: numbers and dates typed, everything else as text."""
    if value is None:
        return None
    if kind == csvexport.NUMBER and isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        return value
    if kind == csvexport.DATE and isinstance(value, datetime):
        # Excel has no time zones: the local time, as the CSV export writes it.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if kind == csvexport.DATE and isinstance(value, date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def xlsx_bytes(*, header, kinds, rows, title):
    """An .xlsx workbook of one sheet: the header, then one row per value list."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])

    def cell(value, kind):
        value = _xlsx_value(value, kind)
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # a string, never a formula, whatever its first character
        elif isinstance(value, datetime):
            written.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            written.number_format = "yyyy-mm-dd"
        return written

    sheet.append([cell(name, csvexport.TEXT) for name in header])
    for values in rows:
        sheet.append([cell(value, kind) for value, kind in zip(values, kinds, strict=True)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(*, filename, header, kinds, rows, title):
    result = HttpResponse(
        xlsx_bytes(header=header, kinds=kinds, rows=rows, title=title), content_type=XLSX_CONTENT_TYPE
    )
    result["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result
