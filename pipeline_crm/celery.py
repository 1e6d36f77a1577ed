"""The Celery application, configured from Django settings (CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline_crm.settings")

app = Celery("pipeline_crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _prepare_filesystem_broker():
    """The filesystem transport expects its folders to exist."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL == "filesystem://":
        from pathlib import Path

        for key in ("data_folder_in", "processed_folder", "control_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)


app.on_after_configure.connect(lambda sender, **kwargs: _prepare_filesystem_broker(), weak=False)
