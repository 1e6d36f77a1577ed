from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = _("Quotes")

    def ready(self):
        from audit.registry import register
        from quotes.models import CompanyProfile, DiscountPolicy, PipelineQuoteSettings

        for model in (CompanyProfile, DiscountPolicy, PipelineQuoteSettings):
            register(model)
