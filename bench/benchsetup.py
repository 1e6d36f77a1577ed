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


def seed_options(*, reps=None, moves_per_deal=None):
    """seed_demo's options for the load test, limited to the ones this checkout's seed_demo has
    (`--reps` and `--moves-per-deal` are newer than some checkouts)."""
    from analytics.management.commands.seed_demo import Command

    known = {action.dest for action in Command().create_parser("manage.py", "seed_demo")._actions}
    wanted = {"reps": reps, "moves_per_deal": moves_per_deal}
    return {name: value for name, value in wanted.items() if value is not None and name in known}


def seed(deals, *, reps=None, moves_per_deal=None, stdout=None):
    """`seed_demo --deals N --reset` (plus --reps/--moves-per-deal where supported); returns the options used."""
    from django.core.management import call_command

    options = seed_options(reps=reps, moves_per_deal=moves_per_deal)
    call_command("seed_demo", deals=deals, reset=True, verbosity=0, **options)
    return options
