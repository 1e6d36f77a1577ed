from django.core.management.base import BaseCommand, CommandError

from deals import summary


class Command(BaseCommand):
    help = (
        "Recompute the board's per-(stage, owner, status, region) deal summary from the deals. "
        "--check only compares and exits non-zero when the summary disagrees with the deals."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report differences, change nothing")

    def handle(self, *args, check=False, verbosity=1, **options):
        if check:
            found = summary.differences()
            for (stage_id, owner_id, status, region), have, want in found:
                self.stdout.write(
                    f"stage {stage_id}, owner {owner_id}, {status}, region '{region}': summary (n, value, plain, override) = "
                    f"{tuple(str(x) for x in have)}, deals = {tuple(str(x) for x in want)}"
                )
            if found:
                raise CommandError(f"The deal summary disagrees with the deals in {len(found)} row(s).")
            if verbosity:
                self.stdout.write("The deal summary agrees with the deals.")
            return
        fixed = summary.rebuild()
        if verbosity:
            self.stdout.write(f"Deal summary rows corrected: {fixed}")
