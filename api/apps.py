from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each resource registers how it reads a record (events.representations), which the
        # webhook payloads use; in every process, a Celery worker too (it loads no URLconf).
        import api.resources  # noqa: F401
