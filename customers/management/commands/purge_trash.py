from django.core.management.base import BaseCommand

from customers import services


class Command(BaseCommand):
    help = "Remove the organizations and contacts in the trash for longer than 30 days (the nightly job)."

    def handle(self, *args, **options):
        organizations, contacts = services.trash_purge()
        self.stdout.write(f"{organizations} organization(s) and {contacts} contact(s) removed.")
