import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.workers import worker_broker  # noqa: F401 (a fixture of the tests that kill workers)
from transfer.models import ImportJob


@pytest.fixture
def upload(client):
    """Upload `raw` as `name` for `record_type` as the logged-in user; the new job."""

    def _upload(record_type, raw, name="file.csv", encoding="auto", status=302):
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        response = client.post(f"/import/{record_type}/", {"file": SimpleUploadedFile(name, raw), "encoding": encoding})
        assert response.status_code == status, response.content.decode()[:2000]
        return ImportJob.objects.order_by("-pk").first() if status == 302 else response

    return _upload


@pytest.fixture
def dry_run(client):
    """POST the job's mapping (its guessed one unless `targets` is given) and return the job."""

    def _dry_run(job, targets=None, status=302):
        targets = job.mapping if targets is None else targets
        data = {f"col_{i}": target for i, target in enumerate(targets)}
        response = client.post(f"/imports/{job.pk}/check/", data)
        assert response.status_code == status, response.content.decode()[:3000]
        job.refresh_from_db()
        return job

    return _dry_run
