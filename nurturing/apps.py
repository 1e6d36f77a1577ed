from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurturingConfig(AppConfig):
    name = "nurturing"
    verbose_name = _("Nurturing")

    def ready(self):
        # The lower apps offer registries; nurturing acts on what they record (docs/nurturing.md).
        from customers import consent as customer_consent
        from mail import bounces, gates
        from nurturing import consent, optin, sending, triggers

        customer_consent.register_listener(optin.on_consent_change)
        bounces.register_listener(consent.on_bounce)
        triggers.register()  # "link_clicked" and "content_downloaded" for the rule engine
        # Marketing e-mail is asked again right before SMTP (consent, suppression, the
        # enrolment's exit conditions); the Send follows its message's delivery.
        gates.register_gate(sending.delivery_gate)
        gates.register_delivery_listener(sending.delivered)
