"""docs/csv.md, "Phone numbers": an exported phone number opens in LibreOffice Calc as the text
that was written, in both dialects — not as a number that lost its leading zero or its "+".

Slow (LibreOffice converts the file to .xlsx, which openpyxl reads back); skipped when
LibreOffice is not installed (CI does not install it).
"""

import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from pipeline_crm import csvexport

SOFFICE = shutil.which("soffice")

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (soffice)"),
]

TYPED = ["+49 30 1234567", "030 1234567", "0301234567", "+49301234567", "0171 2345678", "+1 (415) 555-2671"]


def _opened_in_calc(tmp_path, dialect):
    """The phone column's cells as Calc reads the exported file: (value, Calc's cell type)."""
    lines = csvexport.lines(
        header=["phone", "name"],
        kinds=[csvexport.PHONE, csvexport.TEXT],
        rows=[[phone, "x"] for phone in TYPED],
        dialect=dialect,
    )
    source = tmp_path / "phones.csv"
    source.write_bytes("".join(lines).encode("utf-8"))
    separator = ord(dialect.delimiter)
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", "xlsx", f"--infilter=CSV:{separator},34,76,1", "--outdir", tmp_path,
         source],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},  # a profile of its own
    )  # fmt: skip
    sheet = load_workbook(tmp_path / "phones.xlsx").active
    return [(cell.value, cell.data_type) for cell in sheet["A"][1:]]


@pytest.mark.parametrize("dialect", [csvexport.COMMA, csvexport.SEMICOLON], ids=["comma", "semicolon"])
def test_exported_phone_numbers_open_in_calc_as_the_text_written(tmp_path, dialect, settings):
    settings.LEADS_PHONE_REGION = "DE"
    assert _opened_in_calc(tmp_path, dialect) == [
        ("+49 30 1234567", "s"),
        ("+49 30 1234567", "s"),
        ("+49 30 1234567", "s"),
        ("+49 30 1234567", "s"),
        ("+49 171 2345678", "s"),
        ("+1 415-555-2671", "s"),
    ]


def test_a_phone_number_written_as_digits_only_would_open_as_a_number(tmp_path):
    """Why the export reformats: the same file with the numbers as typed loses zeros and plus signs."""
    source = tmp_path / "phones.csv"
    source.write_bytes(b"\xef\xbb\xbfphone\r\n0301234567\r\n+49301234567\r\n")
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", "xlsx", "--infilter=CSV:44,34,76,1", "--outdir", tmp_path, source],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    sheet = load_workbook(tmp_path / "phones.xlsx").active
    assert [cell.value for cell in sheet["A"][1:]] == [301234567, 49301234567]
