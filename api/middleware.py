"""Two things every API request gets before and after its operation runs:

- Idempotency (`Idempotency-Key` on a POST): the first answer (below 500) is kept for
  API_IDEMPOTENCY_HOURS and sent again for a retry with the same key and the same request
  (marked `Idempotent-Replayed: true`); the same key with another request is a 422; a retry
  while the first is still running is a 409. Keys are per user.
- `?fields=a,b` trims each returned record (the object, or each item of `results`) to those
  members; unknown names are ignored.

It is a middleware, not part of the operation, because a replay must skip the operation and
its auth-dependent work entirely, and the kept answer must be the exact bytes sent.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from api import authentication, errors
from api.models import IdempotentRequest

PREFIX = "/api/v1/"
MAX_KEY_LENGTH = 255


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key is not None:
            response = self._idempotent(request, key.strip())
        else:
            response = self.get_response(request)
        return _trim_fields(request, response)

    def _idempotent(self, request, key):
        if not key or len(key) > MAX_KEY_LENGTH:
            return errors.problem(400, _("An Idempotency-Key has 1 to 255 characters."))
        identity = authentication.identify(request)
        if identity is None:
            return self.get_response(request)  # the operation's auth answers 401
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.body])
        ).hexdigest()
        horizon = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
        IdempotentRequest.objects.filter(user=identity.user, key=key, created_at__lt=horizon).delete()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(user=identity.user, key=key, fingerprint=fingerprint)
        except IntegrityError:
            return self._replay(identity.user, key, fingerprint)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()  # a failure is not an answer: the retry runs again
            return response
        record.status = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content
        record.save(update_fields=["status", "content_type", "body"])
        return response

    def _replay(self, user, key, fingerprint):
        record = IdempotentRequest.objects.filter(user=user, key=key).first()
        if record is None or record.fingerprint != fingerprint:
            return errors.problem(
                422,
                _("This Idempotency-Key was used for a different request."),
                type=errors.TYPE_BASE + "idempotency-key-reused",
            )
        if record.status is None:
            return errors.problem(
                409,
                _("A request with this Idempotency-Key is still being answered. Retry in a moment."),
                type=errors.TYPE_BASE + "idempotency-key-in-use",
                headers={"Retry-After": "1"},
            )
        response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response


def _trim_fields(request, response):
    wanted = request.GET.get("fields", "")
    names = {name.strip() for name in wanted.split(",") if name.strip()}
    if not names or response.status_code != 200 or not response.get("Content-Type", "").startswith("application/json"):
        return response
    try:
        data = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data["results"] = [_pick(item, names) for item in data["results"]]
    elif isinstance(data, dict):
        data = _pick(data, names)
    response.content = json.dumps(data).encode()
    return response


def _pick(item, names):
    if not isinstance(item, dict):
        return item
    return {name: value for name, value in item.items() if name in names or name == "id"}
