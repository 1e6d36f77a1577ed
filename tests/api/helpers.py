"""Calling the API in tests as a script would: a personal access token in the header."""

import json

from django.test import Client

from api import tokens
from api.models import ApiToken


def token_for(user, scope=ApiToken.Scope.WRITE, **kwargs):
    _token, raw = tokens.token_create(user=user, name=kwargs.pop("name", "test"), scope=scope, **kwargs)
    return raw


class ApiClient:
    """A Django test client that sends `Authorization: Bearer …` and JSON bodies."""

    def __init__(self, user=None, *, raw=None, scope=ApiToken.Scope.WRITE):
        self.raw = raw if raw is not None else (token_for(user, scope) if user is not None else None)
        self.client = Client()

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.raw}"} if self.raw else {}
        return {**base, **(headers or {})}

    def get(self, path, data=None, headers=None):
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path, body=None, headers=None):
        return self.client.post(
            path, json.dumps(body or {}), content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path, body=None, headers=None):
        return self.client.patch(
            path, json.dumps(body or {}), content_type="application/json", headers=self._headers(headers)
        )

    def put(self, path, body=None, headers=None):
        return self.client.put(
            path, json.dumps(body or {}), content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path, headers=None):
        return self.client.delete(path, headers=self._headers(headers))


def is_problem(response, status):
    """The response is an RFC 9457 problem with `status`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body
