from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurturingConfig(AppConfig):
    name = "nurturing"
    verbose_name = _("Nurturing")

    def ready(self):
        from nurturing import triggers

        triggers.register()  # "link_clicked" and "content_downloaded" for the rule engine
