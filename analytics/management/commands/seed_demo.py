import time

from django.core.management.base import BaseCommand, CommandError

from analytics import demo
from audit import context as audit_context


class Command(BaseCommand):
    help = (
        "Create the demo users (admin, manager, rep1–rep4), two teams, the default pipelines and realistic leads, "
        "deals with a year of stage history and activities. Users and pipelines are never duplicated; business data "
        "is created only in a database without deals, or after --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="Password of every demo user (default: demo).")
        parser.add_argument("--deals", type=int, default=300, help="How many deals to create (default: 300).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for reproducible data.")
        parser.add_argument("--reset", action="store_true", help="Delete all deals, leads and activities first.")

    @audit_context.command
    def handle(self, *args, password, deals, seed, reset, **options):
        if deals < 0:
            raise CommandError("--deals must be zero or more.")
        started = time.monotonic()
        created = demo.seed_demo(password=password, deals=deals, seed=seed, reset=reset, stdout=self.stdout)
        elapsed = time.monotonic() - started
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s."))
        else:
            self.stdout.write("Demo users and pipelines are in place; deals already exist (use --reset to rebuild).")
