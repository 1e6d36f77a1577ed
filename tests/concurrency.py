"""Helpers for tests that race real database connections against each other."""

import threading

from django.db import connection


def run_in_threads(target, count=4, timeout=60):
    """Start `count` threads that call `target` at the same moment (a barrier), each on its
    own database connection, and fail the test if any of them raised."""
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not errors, errors
