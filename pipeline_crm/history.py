from django.db import models


class AppendOnlyModel(models.Model):
    """History rows are written once and never updated; corrections are new rows."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(f"{self._meta.verbose_name} is append-only history.")
        super().save(*args, **kwargs)
