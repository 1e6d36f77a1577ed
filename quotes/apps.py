from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = _("Quotes")

    def ready(self):
        from audit.registry import register
        from quotes import followup
        from quotes.models import CompanyProfile, DiscountPolicy, PipelineQuoteSettings

        for model in (CompanyProfile, DiscountPolicy, PipelineQuoteSettings):
            register(model)
        # The follow-up rule triggers of quotes, offered to the rule engine below (activities.triggers).
        followup.register()
        # The sent quotes' PDFs, offered by the e-mail form of a deal (mail.attachments).
        from mail import attachments
        from quotes.mail_attachments import QuotePdfs

        attachments.register(QuotePdfs())
