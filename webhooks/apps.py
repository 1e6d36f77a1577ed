from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audit import registry
        from webhooks import models

        # Audit trail (docs/audit.md): who pointed which events at which URL; never the secret,
        # nor the delivery engine's failure bookkeeping.
        registry.register(models.Subscription, exclude=["secret_encrypted", "failing_since"])
