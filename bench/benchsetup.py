"""What every benchmark does first: its own database, Django set up, migrations applied."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django(name):
    """Point Django at bench-<name>.sqlite3 in var/ unless DATABASE_URL is set, set it up and migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("CRM_MODE", "embedded")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / f'bench-{name}.sqlite3'}")
    os.environ.setdefault("CACHE_URL", "locmem://")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline_crm.settings")
    (ROOT / "var").mkdir(exist_ok=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
