"""gunicorn's settings for Pipeline CRM, every value from the environment (docs/operations.md).

gunicorn reads this file by itself from the working directory (`gunicorn pipeline_crm.wsgi`);
options on the command line win over it. The defaults are the ones measured on the project's
2-core machine with 20 reps (docs/operations.md): processes for the CPU-bound template work,
a few threads each so that a request waiting for PostgreSQL does not hold a whole process.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.core.exceptions import ImproperlyConfigured

from pipeline_crm import env  # after the path: gunicorn does not set it for this file

_cores = os.cpu_count() or 1

# Where to listen; HOST/PORT are what the Procfile and `make run` pass.
bind = env.string("GUNICORN_BIND", f"{env.string('HOST', '127.0.0.1')}:{env.string('PORT', '8000')}")
# Worker processes: one per core (the board's rendering is CPU-bound; more processes than
# cores only queue in the kernel instead of in gunicorn).
workers = env.integer("GUNICORN_WORKERS", _cores)
# Threads per worker: above 1 gunicorn uses the gthread worker, which also keeps idle
# browser connections open (keepalive) without blocking a process.
threads = env.integer("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
# Seconds an idle keep-alive connection stays open (gthread only; a sync worker closes each one).
keepalive = env.integer("GUNICORN_KEEPALIVE", 5)
# A worker silent for this many seconds is killed and replaced.
timeout = env.integer("GUNICORN_TIMEOUT", 30)
graceful_timeout = env.integer("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycle a worker after this many requests (0 = never), with jitter so they do not restart together.
max_requests = env.integer("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = env.integer("GUNICORN_MAX_REQUESTS_JITTER", 0)
# The access log on stdout ("-"), a file path, or off (empty).
accesslog = env.string("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = env.string("GUNICORN_LOG_LEVEL", "info")
# gunicorn's control socket (gunicornc): off unless given a path, so that two servers on one
# machine do not share the default ~/.gunicorn/gunicorn.ctl.
control_socket = env.string("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
if workers < 1 or threads < 1 or keepalive < 0 or timeout < 1:
    raise ImproperlyConfigured("GUNICORN_WORKERS and GUNICORN_THREADS must be at least 1, GUNICORN_TIMEOUT at least 1.")
