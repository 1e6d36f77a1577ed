"""Real Celery processes for the tests that kill them: start a worker (or beat, or honcho) in
its own process group, send it tasks by name, wait for the database, kill the whole group.

The processes work on the test database (only committed rows are visible to them, so these
tests use transactional_db on PostgreSQL) and on a Redis database of their own.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.testenv import IN_CI

ROOT = Path(__file__).resolve().parents[1]
# The Redis database of the worker tests, flushed before and after each of them (another one
# with TEST_WORKER_BROKER_URL, so that two suites on one machine do not share it).
WORKER_BROKER_URL = os.environ.get("TEST_WORKER_BROKER_URL", "redis://127.0.0.1:6379/8")


@pytest.fixture
def worker_broker():
    import redis

    client = redis.Redis.from_url(WORKER_BROKER_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true but {WORKER_BROKER_URL} is not reachable.")
        pytest.skip(f"needs Redis at {WORKER_BROKER_URL}")
    yield WORKER_BROKER_URL
    client.flushdb()
    client.close()


class Processes:
    """The processes a test started, with their logs; every group is killed at the end."""

    def __init__(self, tmp_path, *, cwd=ROOT, **env):
        from tests.activities.conftest import subprocess_env

        self.tmp_path = tmp_path
        self.cwd = cwd
        self.env = subprocess_env(tmp_path / "mail", PYTHONPATH=str(ROOT), **env)
        self.running = {}
        self.logs = {}

    def start(self, name, command):
        log = open(self.tmp_path / f"{name}.log", "w+")  # noqa: SIM115 (closed in stop_all)
        self.logs[name] = log
        self.running[name] = subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self.running[name]

    def start_worker(self, name, *args):
        """A prefork worker with one child process (one task at a time), as in production."""
        command = [sys.executable, "-m", "celery", "-A", "pipeline_crm", "worker", "--concurrency=1"]
        command += [f"--hostname={name}@%h", "--without-mingle", "--without-gossip", "--loglevel=INFO", *args]
        process = self.start(name, command)
        self.wait_for_log(name, "ready.", timeout=30)
        return process

    def start_beat(self, name="beat"):
        command = [sys.executable, "-m", "celery", "-A", "pipeline_crm", "beat", "--max-interval=1"]
        command += [f"--schedule={self.tmp_path / 'beat-schedule'}", "--loglevel=INFO"]
        return self.start(name, command)

    def call(self, task, *args):
        """Send a task by name through the processes' broker (`celery call`)."""
        command = [sys.executable, "-m", "celery", "-A", "pipeline_crm", "call", task, f"--args={list(args)!r}"]
        result = subprocess.run(command, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr

    def kill(self, name, sig=signal.SIGKILL):
        """Signal the whole process group (the worker and its pool children)."""
        process = self.running[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        if sig == signal.SIGKILL:
            process.wait(timeout=10)

    def log_text(self, name):
        log = self.logs[name]
        log.flush()
        return (self.tmp_path / f"{name}.log").read_text()

    def logs_text(self):
        return "\n".join(f"--- {name} ---\n{self.log_text(name)[-4000:]}" for name in self.logs)

    def wait_for_log(self, name, text, *, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text(name):
                return
            assert self.running[name].poll() is None, f"{name} exited\n{self.logs_text()}"
            time.sleep(0.1)
        pytest.fail(f"{name} did not log {text!r} within {timeout} s\n{self.logs_text()}")

    def wait_until(self, predicate, *, timeout, interval=0.05, what="the condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(interval)
        pytest.fail(f"{what} not reached within {timeout} s\n{self.logs_text()}")

    def stop_all(self):
        for name in list(self.running):
            self.kill(name)
        for log in self.logs.values():
            log.close()
