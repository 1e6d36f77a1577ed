"""Imports of organizations, contacts, deals and activities (CSV or Excel), and the column
mapping each user last chose per record type.

An import keeps the uploaded bytes until it is done or discarded: the dry run and the import
both read the file again with the mapping the user chose, so the mapping can change between
dry runs without a new upload.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecordType(models.TextChoices):
    ORGANIZATIONS = "organizations", _("Organizations")
    CONTACTS = "contacts", _("Contacts")
    DEALS = "deals", _("Deals")
    ACTIVITIES = "activities", _("Activities")


class ImportJob(models.Model):
    """One uploaded file on its way through mapping, dry run and the all-or-nothing import.

    `checking` and `importing` are run by a worker (or in the request for small files); the run
    claims the job with a conditional UPDATE (a new `run_token`). The dry run moves
    `processed_rows` and `heartbeat_at` as it goes; the import runs in one transaction that
    holds the job's row lock, so its progress is kept in the cache and a stale check skips the
    jobs whose row is still locked (their worker is alive).
    """

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Awaiting the column mapping")
        CHECKING = "checking", _("Dry run")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (.xlsx)"

    class Failure(models.TextChoices):
        STALLED = "stalled", _("Stopped making progress")
        INTERRUPTED = "interrupted", _("Interrupted too often")
        ERROR = "error", _("Error")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("created by")
    )
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=4, choices=Format, default=Format.CSV)
    source = models.BinaryField(_("uploaded file"), blank=True, default=b"", editable=False)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True, editable=False)
    headers = models.JSONField(_("column headers"), default=list, blank=True)
    # One target field per column ("" = ignored), in the file's column order.
    mapping = models.JSONField(_("column mapping"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.MAPPING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_rows = models.PositiveIntegerField(_("records created"), default=0)
    # [{"row": line, "column": header, "message": text}, …] of the last dry run or import.
    report = models.JSONField(_("errors"), default=list, blank=True)
    # Rows of the last dry run that look like existing records or earlier rows of the file
    # (transfer.duplicates.row_warnings); the import asks to confirm them.
    duplicate_rows = models.PositiveIntegerField(_("rows that look like duplicates"), default=0)
    duplicates = models.JSONField(_("likely duplicates"), default=list, blank=True)
    failure = models.CharField(_("failure"), max_length=20, choices=Failure, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("runs started"), default=0)
    run_token = models.UUIDField(_("current run"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="importjob_status_heartbeat")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_running(self):
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


class ColumnMapping(models.Model):
    """The targets a user last chose for the column headers of one record type:
    {normalised header: field name, or "" for "ignore"}; the next file's preview starts from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="column_mappings", verbose_name=_("user")
    )
    record_type = models.CharField(_("record type"), max_length=20, choices=RecordType)
    targets = models.JSONField(_("targets"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["user", "record_type"], name="column_mapping_one_per_user_and_type")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_record_type_display()}"
