"""Mail sits between activities and quotes (docs/architecture.md): it imports the apps below it and
none above; the apps below it import nothing of it (their pages include mail's templates)."""

from pathlib import Path

from tests.search.test_import_direction import imported_top_level_modules

ROOT = Path(__file__).resolve().parents[2]
BELOW = {"accounts", "audit", "customers", "leads", "deals", "activities"}
ABOVE = {"quotes", "timeline", "directory", "lists", "transfer", "search", "analytics"}


def test_mail_imports_only_the_apps_below_it():
    imported = {
        module
        for path in (ROOT / "mail").rglob("*.py")
        for module in imported_top_level_modules(path)
        if module in BELOW | ABOVE
    }
    assert imported <= BELOW, imported - BELOW


def test_no_app_below_mail_imports_it():
    offenders = [
        str(path.relative_to(ROOT))
        for app in BELOW
        for path in (ROOT / app).rglob("*.py")
        if "mail" in set(imported_top_level_modules(path))
    ]
    assert offenders == []
