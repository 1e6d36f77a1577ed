"""Loaded by pytest before Django (see addopts): the environment the tests run in.

The suite runs on the embedded defaults unless the caller points DATABASE_URL,
CACHE_URL or CELERY_BROKER_URL at real services (CI does: PostgreSQL and Redis).
"""

import os

os.environ.setdefault("CRM_MODE", "embedded")
os.environ.setdefault("CACHE_URL", "locmem://")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("STATIC_MANIFEST", "false")
# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# browser tests make from that thread are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
