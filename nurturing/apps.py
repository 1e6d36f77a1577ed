from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurturingConfig(AppConfig):
    name = "nurturing"
    verbose_name = _("Nurturing")

    def ready(self):
        # The lower apps offer registries; nurturing acts on what they record (docs/nurturing.md).
        from customers import consent as customer_consent
        from mail import bounces
        from nurturing import consent, optin, triggers

        customer_consent.register_listener(optin.on_consent_change)
        bounces.register_listener(consent.on_bounce)
        triggers.register()  # "link_clicked" and "content_downloaded" for the rule engine
