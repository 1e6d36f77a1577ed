"""The search app sits on top (docs/architecture.md): it reads customers, leads, deals and
activities (and the accounts' scoping), and no other app imports it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "audit", "customers", "leads", "deals", "activities", "timeline", "directory", "analytics"]
SEARCH_MAY_IMPORT = {"accounts", "customers", "leads", "deals", "activities", "pipeline_crm", "search"}


def imported_top_level_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_no_app_imports_the_search_app():
    offenders = [
        str(path.relative_to(ROOT))
        for app in [*APPS, "pipeline_crm"]
        for path in (ROOT / app).rglob("*.py")
        if "search" in set(imported_top_level_modules(path))
    ]
    assert offenders == []


def test_the_search_app_imports_only_the_apps_below_it():
    project = {*APPS, "pipeline_crm", "search"}
    imported = {
        module
        for path in (ROOT / "search").rglob("*.py")
        for module in imported_top_level_modules(path)
        if module in project
    }
    assert imported <= SEARCH_MAY_IMPORT, imported - SEARCH_MAY_IMPORT
