from django.core.management.base import BaseCommand

from nurturing import conditions, engine, enrolment


class Command(BaseCommand):
    help = "Mark replies, enrol new segment members and run the due steps of the active sequences once."

    def handle(self, *args, **options):
        replied = conditions.mark_replies()
        enrolled = enrolment.enrol_segments()
        counts = engine.run_due()
        self.stdout.write(
            f"{replied} replies marked, {enrolled} enrolled, " + ", ".join(f"{v} {k}" for k, v in counts.items())
        )
