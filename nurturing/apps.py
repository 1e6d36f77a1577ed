from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurturingConfig(AppConfig):
    name = "nurturing"
    verbose_name = _("Nurturing")

    def ready(self):
        # The follow-up rules' "send a template e-mail" and "enrol in a sequence", run by the
        # rule engine below (activities.actions).
        from nurturing import rule_actions

        rule_actions.register()
        # The enrolments and marketing e-mails on the contact and lead timelines (timeline.sources).
        from nurturing import timeline_sources

        timeline_sources.register()
