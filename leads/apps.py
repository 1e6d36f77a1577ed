from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self):
        from audit import registry
        from leads import models

        # Audit trail (docs/audit.md): the score follows the criteria; its breakdown and the
        # touch/status times are bookkeeping.
        registry.register(models.Lead, exclude=["score_breakdown", "last_touch_at", "status_changed_at"])
        for model in (models.Persona, models.ScoringSettings):
            registry.register(model)
