"""Who and what is changing data right now: the source (web, admin, import, rule, job,
command, api) and the user, if there is one. Every audit log entry written while a
context is active takes its source and actor from here.

Contexts nest (a follow-up rule firing inside a background job is recorded as "rule");
leaving one restores the one around it. Outside any context the source is "system".
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import wraps


class Source:
    WEB = "web"
    ADMIN = "admin"
    IMPORT = "import"
    RULE = "rule"
    JOB = "job"
    COMMAND = "command"
    API = "api"
    SYSTEM = "system"


@dataclass(frozen=True)
class AuditContext:
    source: str = Source.SYSTEM
    # A user, or a callable returning one (the request's lazily loaded user).
    actor: object = None
    # Stored in the entry's additional_data, e.g. {"rule": 3} for a follow-up rule.
    extra: dict = field(default_factory=dict)
    # The change is also a row of the record's own history (StageChange, LeadStatusChange).
    in_history: bool = False

    def resolve_actor(self):
        actor = self.actor() if callable(self.actor) else self.actor
        if actor is None or not getattr(actor, "is_authenticated", False):
            return None
        return actor


_current = ContextVar("audit_context", default=None)


def current():
    return _current.get() or AuditContext()


@contextmanager
def recorded_as(source, *, actor=None, **extra):
    """Record every change made inside the block as coming from `source` (by `actor`)."""
    token = _current.set(AuditContext(source=source, actor=actor, extra=extra))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def history_row():
    """The changes saved inside the block are also written to the record's own history
    table; the timeline shows them once, from that table."""
    token = _current.set(replace(current(), in_history=True))
    try:
        yield
    finally:
        _current.reset(token)


def command(handle):
    """Decorate a management command's handle(): its changes are recorded as "command"."""

    @wraps(handle)
    def wrapper(*args, **kwargs):
        with recorded_as(Source.COMMAND):
            return handle(*args, **kwargs)

    return wrapper


def replace_current(**changes):
    """Change the current context for the rest of the block that set it (a request's
    middleware): used once the API knows who is calling, which is after the block began.
    The block's own reset restores what was there before it."""
    _current.set(replace(current(), **changes))
