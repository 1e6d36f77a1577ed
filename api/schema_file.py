"""The committed OpenAPI schema (`api/openapi.json`): written from the code by
`manage.py api_schema`, compared with the code by `manage.py api_schema --check` and by
tests/api/test_schema.py, so that a change to the API reaches the file in the same commit."""

import difflib
import json
from pathlib import Path

from django.utils import translation

PATH = Path(__file__).resolve().parent / "openapi.json"


def render():
    """The schema as the file holds it: English, sorted keys, two-space indent, final newline."""
    from api.main import api

    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
        text = json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False, default=str)
    return text + "\n"


def diff(current=None):
    """The unified diff from the committed file to the code's schema ('' when they agree)."""
    current = render() if current is None else current
    committed = PATH.read_text(encoding="utf-8") if PATH.exists() else ""
    if committed == current:
        return ""
    lines = difflib.unified_diff(
        committed.splitlines(keepends=True),
        current.splitlines(keepends=True),
        fromfile="api/openapi.json (committed)",
        tofile="api/openapi.json (from the code)",
    )
    return "".join(lines)
