from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurturingConfig(AppConfig):
    name = "nurturing"
    verbose_name = _("Nurturing")

    def ready(self):
        # The lower apps offer registries; nurturing acts on what they record (docs/nurturing.md).
        from customers import consent as customer_consent
        from mail import bounces, gates
        from nurturing import consent, optin, rule_actions, sending, timeline_sources, triggers

        customer_consent.register_listener(optin.on_consent_change)
        bounces.register_listener(consent.on_bounce)
        triggers.register()  # "link_clicked" and "content_downloaded" for the rule engine
        # The follow-up rules' "send a template e-mail" and "enrol in a sequence" (activities.actions).
        rule_actions.register()
        # The enrolments and marketing e-mails on the contact and lead timelines (timeline.sources).
        timeline_sources.register()
        # Marketing e-mail is asked again right before SMTP (consent, suppression, the
        # enrolment's exit conditions); the Send follows its message's delivery.
        gates.register_gate(sending.delivery_gate)
        gates.register_delivery_listener(sending.delivered)
