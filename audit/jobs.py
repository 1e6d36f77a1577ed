"""Background jobs: every Celery task runs inside the "job" audit context."""

from celery.signals import task_postrun, task_prerun

from audit import context

_tokens = {}


def _enter(task_id=None, **kwargs):
    _tokens[task_id] = context._current.set(context.AuditContext(source=context.Source.JOB))


def _leave(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            context._current.reset(token)
        except ValueError:  # reset from another context (eager tasks inside a test): just clear
            context._current.set(None)


def connect():
    task_prerun.connect(_enter, weak=False, dispatch_uid="audit-job-enter")
    task_postrun.connect(_leave, weak=False, dispatch_uid="audit-job-leave")
