"""The committed OpenAPI schema is the code's, and every operation is documented."""

import json

import pytest
from django.core.management import CommandError, call_command

from api import schema_file

METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_committed_schema_is_the_codes():
    difference = schema_file.diff()
    assert not difference, (
        "api/openapi.json differs from the API in the code. Run `.venv/bin/python manage.py api_schema` and commit "
        "the file.\n" + difference[:4000]
    )


def test_the_check_command_fails_with_a_diff_when_the_file_differs(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "openapi.json"
    stale.write_text(schema_file.render().replace('"deal_list"', '"old_name"'), encoding="utf-8")
    monkeypatch.setattr(schema_file, "PATH", stale)
    with pytest.raises(CommandError):
        call_command("api_schema", "--check")
    out = capsys.readouterr().out
    assert '-        "operationId": "old_name"' in out and '+        "operationId": "deal_list"' in out
    call_command("api_schema")
    assert stale.read_text(encoding="utf-8") == schema_file.render()
    call_command("api_schema", "--check")


def test_the_schema_is_stable_from_run_to_run():
    assert schema_file.render() == schema_file.render()
    json.loads(schema_file.render())


def test_every_operation_has_a_unique_readable_id_a_summary_and_a_tag():
    schema = json.loads(schema_file.render())
    ids = [operation["operationId"] for _path, _method, operation in _operations(schema)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for path, method, operation in _operations(schema):
        assert operation["operationId"].isidentifier() and "api_resources" not in operation["operationId"]
        assert operation.get("summary"), f"{method.upper()} {path} has no summary"
        assert operation.get("description"), f"{method.upper()} {path} has no docstring"
        assert operation.get("tags"), f"{method.upper()} {path} has no tag"
