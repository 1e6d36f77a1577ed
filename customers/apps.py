from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from audit import registry
        from customers import models

        # The duplicate keys follow the name and website: recorded once, as those.
        registry.register(models.Organization, exclude=["name_key", "website_domain"])
        registry.register(models.Contact)
