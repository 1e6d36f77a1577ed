from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from audit import registry
        from customers import models

        for model in (models.Organization, models.Contact):
            registry.register(model)
