from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("Deals")

    def ready(self):
        from audit import registry
        from deals import models

        # Audit trail (docs/audit.md): every field but the board's bookkeeping.
        registry.register(
            models.Deal,
            exclude=["position", "version", "updated_by", "stage_entered_at", "last_activity_at"],
        )
        for model in (
            models.Pipeline,
            models.Stage,
            models.Product,
            models.LostReason,
            models.DealProduct,
            models.PriceList,
            models.PriceListPrice,
            models.Objection,
        ):
            registry.register(model)
