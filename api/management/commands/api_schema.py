"""`manage.py api_schema` writes the API's OpenAPI schema to api/openapi.json; with `--check`
it writes nothing and fails with the difference when the committed file is not the code's."""

from django.core.management.base import BaseCommand, CommandError

from api import schema_file


class Command(BaseCommand):
    help = "Write api/openapi.json from the code (--check: fail with a diff when it differs)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare only; exit 1 with a diff on a difference.")

    def handle(self, *args, check=False, **options):
        current = schema_file.render()
        difference = schema_file.diff(current)
        if check:
            if difference:
                self.stdout.write(difference)
                raise CommandError(
                    "api/openapi.json is not the code's schema: run `manage.py api_schema` and commit the file."
                )
            self.stdout.write("api/openapi.json is up to date.")
            return
        if not difference:
            self.stdout.write("api/openapi.json is up to date.")
            return
        schema_file.PATH.write_text(current, encoding="utf-8")
        self.stdout.write(f"Wrote {schema_file.PATH.name}.")
