from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self):
        import activities.checks  # noqa: F401 (registers the system checks)
        from activities import models
        from audit import registry

        # Audit trail (docs/audit.md): the reminder claim is bookkeeping of the reminder job.
        registry.register(models.Activity, exclude=["reminder_sent_at"])
        registry.register(models.FollowUpRule)
