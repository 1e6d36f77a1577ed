"""Requests per token (per user for the session) in a sliding window, kept in the cache
(Redis in production). Over the limit: 429 with `Retry-After` (api/errors.py).
The rate is `API_RATE_LIMIT` ("600/min" unless set), read on every request."""

from django.conf import settings
from ninja.throttling import SimpleRateThrottle

from api import authentication


class PerCallerThrottle(SimpleRateThrottle):
    scope = "api"

    def __init__(self):
        super().__init__(settings.API_RATE_LIMIT)

    def allow_request(self, request):
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request):
        identity = authentication.identify(request)
        if identity is None:
            return None  # the 401 comes from the auth
        return self.cache_format % {"scope": self.scope, "ident": identity.rate_key}
