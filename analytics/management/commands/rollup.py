from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import services


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Write the daily snapshot rows for each day from --from to --to (inclusive, local dates) from the "
        "stage history. Rerunning a day replaces its rows. Without arguments: yesterday (the nightly job)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=_day, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", type=_day, help="last day, YYYY-MM-DD (default: --from or yesterday)")
        parser.add_argument("--days", type=int, help="instead of --from: the last N days up to yesterday")

    def handle(self, *args, first=None, last=None, days=None, verbosity=1, **options):
        yesterday = timezone.localdate() - timedelta(days=1)
        if days is not None:
            if days < 1:
                raise CommandError("--days must be at least 1.")
            first, last = yesterday - timedelta(days=days - 1), last or yesterday
        last = last or first or yesterday
        first = first or last
        if last < first:
            raise CommandError("--to must not be before --from.")
        written = services.snapshot_rollup_range(first_day=first, last_day=last)
        if verbosity:
            self.stdout.write(f"Rolled up {first} … {last}: {written} snapshot rows.")
