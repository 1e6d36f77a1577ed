"""Records as the API shows them, by type name and id, for a given user: the webhook
payloads use the same representation as `GET /api/v1/<resource>/<id>`.

The registry sits here, below both, so that the webhooks app reads records without importing
the api app (which imports webhooks for its subscription operations). Each API resource
registers its reader (`register("deal", reader)`, in its module, imported by ApiConfig.ready()); a reader
takes (user, id) and returns the record's JSON-ready dict, or None when the user may not see
it (or it is gone), through the same scoped selector as the resource's read operation."""

from django.http import Http404

_readers = {}


def register(subject_type, reader):
    _readers[subject_type] = reader


def represent(subject_type, subject_id, *, user):
    reader = _readers.get(subject_type)
    if reader is None:
        raise LookupError(f"No API representation for {subject_type!r}")
    try:
        return reader(user, subject_id)
    except Http404:
        return None


def registered():
    return sorted(_readers)
