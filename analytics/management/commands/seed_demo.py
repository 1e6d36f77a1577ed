import time

from django.core.management.base import BaseCommand, CommandError

from analytics import demo
from audit import context as audit_context


class Command(BaseCommand):
    help = (
        "Create the demo users (admin, manager, rep1–rep4 or --reps N), two teams, the default pipelines and realistic leads, "
        "deals with a year of stage history and activities. Users and pipelines are never duplicated; business data "
        "is created only in a database without deals, or after --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo", help="Password of every demo user (default: demo).")
        parser.add_argument("--deals", type=int, default=300, help="How many deals to create (default: 300).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for reproducible data.")
        parser.add_argument("--reset", action="store_true", help="Delete all deals, leads and activities first.")
        parser.add_argument(
            "--moves-per-deal",
            type=float,
            default=None,
            help="Average stage-history rows per deal, spread over 13 months (default: a walk through the stages, "
            "about 4.4 rows per deal over 12 months).",
        )
        parser.add_argument(
            "--reps",
            type=int,
            default=demo.DEFAULT_REPS,
            help=f"How many sales reps rep1…repN, spread over the two teams (default: {demo.DEFAULT_REPS}).",
        )

    @audit_context.command
    def handle(self, *args, password, deals, seed, reset, moves_per_deal, reps, **options):
        if deals < 0:
            raise CommandError("--deals must be zero or more.")
        if moves_per_deal is not None and moves_per_deal < 1:
            raise CommandError("--moves-per-deal must be at least 1 (the creation is a history row).")
        if reps < 1:
            raise CommandError("--reps must be at least 1.")
        started = time.monotonic()
        created = demo.seed_demo(
            password=password,
            deals=deals,
            seed=seed,
            reset=reset,
            stdout=self.stdout,
            moves_per_deal=moves_per_deal,
            reps=reps,
        )
        elapsed = time.monotonic() - started
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s."))
        else:
            self.stdout.write("Demo users and pipelines are in place; deals already exist (use --reset to rebuild).")
