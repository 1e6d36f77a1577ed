from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from analytics import filters
        from deals.models import Pipeline, Stage
        from leads.models import Persona

        # Cache invalidation only (the dashboard's filter choices), no business logic.
        for model in (Pipeline, Stage, Persona):
            post_save.connect(
                filters.forget_choice_lists, sender=model, dispatch_uid=f"filter-choices-save-{model.__name__}"
            )
            post_delete.connect(
                filters.forget_choice_lists, sender=model, dispatch_uid=f"filter-choices-delete-{model.__name__}"
            )
