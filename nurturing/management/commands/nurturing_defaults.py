from django.core.management.base import BaseCommand

from nurturing import defaults


class Command(BaseCommand):
    help = "Create what is missing of the built-in retargeting rules, templates and win-back sequence."

    def handle(self, *args, **options):
        sequence = defaults.ensure_retargeting_now()
        if sequence is None:
            self.stdout.write("No admin user yet: templates and rules are there, the sequence is not.")
        else:
            self.stdout.write(f"Retargeting set complete (sequence {sequence.pk}).")
