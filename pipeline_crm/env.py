"""Typed readers for settings that come from the environment.

Each helper raises ImproperlyConfigured on junk instead of guessing, and every
`NAME` may also be given as `NAME_FILE` (a path whose content is the value), the
way container secrets are mounted.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name, default=_MISSING):
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    if name in os.environ:
        return os.environ[name]
    if default is _MISSING:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return default


def string(name, default=_MISSING):
    return raw(name, default)


def boolean(name, default=_MISSING):
    value = raw(name, default)
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def integer(name, default=_MISSING):
    value = raw(name, default)
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def string_list(name, default=_MISSING):
    value = raw(name, default)
    if isinstance(value, (list, tuple)):
        return list(value)
    return [item.strip() for item in value.split(",") if item.strip()]
