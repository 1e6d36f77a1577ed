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

        # Whether the outbox should ask for a dispatch on commit follows the subscriptions
        # (events.services): refreshed when one is saved or deleted, and by every periodic run.
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from webhooks import dispatch

        def refresh(**kwargs):
            transaction.on_commit(dispatch.refresh_wanted)

        post_save.connect(refresh, sender=models.Subscription, dispatch_uid="webhooks-wanted-save")
        post_delete.connect(refresh, sender=models.Subscription, dispatch_uid="webhooks-wanted-delete")
