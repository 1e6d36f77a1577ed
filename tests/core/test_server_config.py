"""gunicorn.conf.py: the production server's settings come from the environment."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
VARIABLES = ("GUNICORN_BIND", "HOST", "PORT", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE")


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_gunicorn_reads_workers_threads_and_keepalive_from_the_environment(clean_env):
    clean_env.setenv("GUNICORN_WORKERS", "3")
    clean_env.setenv("GUNICORN_THREADS", "8")
    clean_env.setenv("GUNICORN_KEEPALIVE", "15")
    clean_env.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    config = runpy.run_path(str(CONFIG))
    assert (config["workers"], config["threads"], config["keepalive"]) == (3, 8, 15)
    assert config["worker_class"] == "gthread"
    assert config["bind"] == "0.0.0.0:9000"


def test_one_thread_uses_the_sync_worker_and_host_and_port_make_the_default_bind(clean_env):
    clean_env.setenv("GUNICORN_THREADS", "1")
    clean_env.setenv("HOST", "127.0.0.2")
    clean_env.setenv("PORT", "8123")
    config = runpy.run_path(str(CONFIG))
    assert config["worker_class"] == "sync"
    assert config["bind"] == "127.0.0.2:8123"


@pytest.mark.parametrize(("name", "value"), [("GUNICORN_WORKERS", "0"), ("GUNICORN_THREADS", "many")])
def test_gunicorn_refuses_junk_settings(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured):
        runpy.run_path(str(CONFIG))
