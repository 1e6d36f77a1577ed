"""Which models the audit trail records (each app registers its own in its AppConfig.ready)."""

from auditlog.registry import auditlog

# Never recorded on any model: the key is the entry's object id already, `updated_at` is
# the entry's own timestamp. Secrets (password hashes, tokens) are on models that are
# not registered at all (users, sessions, the e-mail outbox).
ALWAYS_EXCLUDED = ("id", "updated_at")


def register(model, *, exclude=()):
    """Record the model's own columns except `exclude`. Naming the fields also keeps
    reverse relations out of the diff (django-auditlog would otherwise read each of them,
    one query per reverse one-to-one, and store their managers' names)."""
    excluded = {*ALWAYS_EXCLUDED, *exclude}
    fields = [f.name for f in model._meta.concrete_fields if f.name not in excluded]
    auditlog.register(model, include_fields=fields, exclude_fields=sorted(excluded))


def is_registered(model):
    return auditlog.contains(model)
