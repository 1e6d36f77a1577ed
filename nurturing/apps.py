from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurturingConfig(AppConfig):
    name = "nurturing"
    verbose_name = _("Nurturing")

    def ready(self):
        from mail import gates
        from nurturing import sending

        # Marketing e-mail is asked again right before SMTP (consent, suppression, the
        # enrolment's exit conditions); the Send follows its message's delivery.
        gates.register_gate(sending.delivery_gate)
        gates.register_delivery_listener(sending.delivered)
