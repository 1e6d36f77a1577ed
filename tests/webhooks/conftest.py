"""A real HTTP receiver on 127.0.0.1 and subscriptions pointing at it."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mail import crypto
from webhooks.models import Subscription

SECRET = "whsec_test_0123456789abcdef"


class Receiver:
    """Answers each POST with the next planned answer (status, seconds to sleep first); the
    last plan repeats. Keeps every request it got: (headers, body)."""

    def __init__(self):
        self.plan = [(200, 0)]
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((dict(self.headers), body))
                status, sleep = receiver.plan.pop(0) if len(receiver.plan) > 1 else receiver.plan[0]
                if sleep:
                    time.sleep(sleep)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", receiver.url + "elsewhere")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up (a timeout)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def make_subscription(owner, url, events=("deal.created",), **fields):
    return Subscription.objects.create(
        owner=owner,
        url=url,
        events=list(events),
        secret_encrypted=crypto.seal(SECRET),
        **({"allow_private_network": True} | fields),
    )
