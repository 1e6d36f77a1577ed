from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        # The "no reply from the customer" trigger, offered to the rule engine (activities.triggers).
        from mail import followup

        followup.register()
