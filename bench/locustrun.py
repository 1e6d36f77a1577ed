"""The load test: 20 reps on the board, then saturation phases, with locust (headless, Python API).

Usage (bench/load.py prepares the plan and starts gunicorn; this script only sends requests):

    .venv/bin/python bench/locustrun.py PLAN.json RESULT.json

PLAN.json names the server, the pipeline and its open stages, a region for the filtered
board, and one account per simulated rep (user name, password and the deals it may move,
with their stage and version). The users stay logged in through every phase:

1. "mix" (--mix-seconds): the realistic mix. Each rep polls the board every 10 s with
   If-None-Match (304 when nothing changed), and between think times opens the board, opens
   a deal, moves one of its own deals to another stage (CSRF token, the deal's version; the
   first and every `conflict_every`-th move deliberately send a wrong version and must get 409), and
   now and then opens the region-filtered board.
2. Saturation, each for --phase-seconds without think time: the minimal view
   (/healthz/live), the board, the unchanged 304 poll, moves. Each phase's throughput is
   reported as a ratio to the minimal view's.

Every move is logged to the plan's `moves_log` (JSON lines: one "sent" line before the
request, one outcome line after it) for the integrity check (bench/integrity.py). At the end
the admin's board is saved (`board_html`) so the check can compare its column totals with SQL.
"""

import json
import random
import re
import sys
import time

import gevent
from locust import FastHttpUser, events, task  # first: gevent patches the standard library
from locust.env import Environment

PHASE = {"name": "login"}
PLAN = {}
ACCOUNTS = []
STATUS_COUNTS = {}
MOVE_LOG = []
READY = {"users": 0}
BUSY = {"steps": 0}
VERSION_INPUT = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


def _log_move(entry):
    MOVE_LOG.append(entry)
    PLAN["_log_file"].write(json.dumps(entry) + "\n")
    PLAN["_log_file"].flush()


@events.request.add_listener
def _count_status(name, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) if exception is None or response is not None else 0
    key = (PHASE["name"], name, status or 0)
    STATUS_COUNTS[key] = STATUS_COUNTS.get(key, 0) + 1


def _think(user):
    if PHASE["name"] == "mix":
        return random.uniform(PLAN["think_min"], PLAN["think_max"])
    return 0


class Rep(FastHttpUser):
    """One sales rep with the board open."""

    wait_time = _think
    _next_account = 0

    def on_start(self):
        self.account = ACCOUNTS[Rep._next_account % len(ACCOUNTS)]
        Rep._next_account += 1
        self.rng = random.Random(self.account["index"])
        self.pipeline = PLAN["pipeline"]
        self.board_url = f"/board/{self.pipeline}/"
        self.poll_url = f"/board/{self.pipeline}/poll/"
        self.etag = ""
        self.last_poll = time.monotonic()
        self.moves = 0
        self._login()
        self._open_board()
        READY["users"] += 1

    def _login(self):
        self.client.get("/accounts/login/", name="login page")
        token = self._csrf()
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.account["username"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": PLAN["host"] + "/accounts/login/"},
            allow_redirects=False,
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.account['username']} answered {response.status_code}")

    def _csrf(self):
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def _open_board(self, name="board", query=""):
        response = self.client.get(self.board_url + query, name=name)
        if response.status_code == 200 and not query:
            self.etag = response.headers.get("ETag", self.etag)

    def _poll(self):
        self.last_poll = time.monotonic()
        with self.client.get(
            self.poll_url, headers={"If-None-Match": self.etag, "HX-Request": "true"}, name="poll", catch_response=True
        ) as response:
            if response.status_code in (200, 304):
                self.etag = response.headers.get("ETag", self.etag)
                response.success()

    def _open_deal(self):
        deal = self.rng.choice(self.account["deals"])
        self.client.get(f"/deals/{deal['id']}/", name="deal detail")

    def _move(self):
        deals = [deal for deal in self.account["deals"] if not deal.get("retired")]
        if not deals:
            return
        deal = self.rng.choice(deals)
        target = self.rng.choice([stage for stage in PLAN["stages"] if stage != deal["stage"]])
        self.moves += 1
        # In the mix, the 1st, (1 + every)th … move of each rep sends a version that is not the
        # deal's (the previous one; 2 for a deal still at 1) and must be refused with 409.
        stale = PHASE["name"] == "mix" and self.moves % PLAN["conflict_every"] == 1 % PLAN["conflict_every"]
        wrong = deal["version"] - 1 if deal["version"] > 1 else deal["version"] + 1
        version = wrong if stale else deal["version"]
        entry = {
            "key": f"{self.account['index']}:{self.moves}",
            "user": self.account["username"],
            "deal": deal["id"],
            "from_stage": deal["stage"],
            "to_stage": target,
            "version": version,
            "intended_conflict": stale,
            "phase": PHASE["name"],
        }
        _log_move({**entry, "event": "sent"})
        with self.client.post(
            f"/deals/{deal['id']}/move/",
            data={"stage": target, "version": version, "position": 0, "from_stage": deal["stage"]},
            headers={"X-CSRFToken": self._csrf(), "HX-Request": "true", "Referer": PLAN["host"] + self.board_url},
            name="move",
            catch_response=True,
        ) as response:
            status = response.status_code
            _log_move({**entry, "event": "answered", "status": status})
            if status == 200 and not stale:
                deal["stage"], deal["version"] = target, version + 1
                response.success()
            elif status == 409 and stale:
                response.success()
            else:
                # Not what this rep expected: take the deal out of rotation (its state is unknown).
                deal["retired"] = True
                response.failure(f"move answered {status} ({'stale' if stale else 'current'} version)")

    @task
    def step(self):
        phase = PHASE["name"]
        if phase not in ("mix", "minimal view", "board", "poll", "move"):
            gevent.sleep(0.05)
            return
        BUSY["steps"] += 1
        try:
            self._step(phase)
        finally:
            BUSY["steps"] -= 1

    def _step(self, phase):
        if phase == "mix":
            if time.monotonic() - self.last_poll >= PLAN["poll_seconds"]:
                self._poll()
            roll = self.rng.random()
            if roll < 0.3:
                self._open_board()
            elif roll < 0.55:
                self._open_deal()
            elif roll < 0.9:
                self._move()
            else:
                self._open_board(name="board filtered", query=f"?region={PLAN['region']}")
        elif phase == "minimal view":
            self.client.get("/healthz/live", name="minimal view")
        elif phase == "board":
            self._open_board()
        elif phase == "poll":
            self._poll()
        elif phase == "move":
            self._move()


def _phase_stats(env, phase, seconds):
    rows = {}
    for (name, _method), entry in env.stats.entries.items():
        if not entry.num_requests:
            continue
        statuses = {str(k[2]): n for k, n in STATUS_COUNTS.items() if k[0] == phase and k[1] == name}
        rows[name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.num_requests / seconds,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "statuses": statuses,
        }
    errors = [
        {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
        for error in env.stats.errors.values()
    ]
    return {"seconds": seconds, "endpoints": rows, "errors": errors}


def _run_phase(env, name, seconds):
    env.stats.reset_all()
    PHASE["name"] = name
    started = time.monotonic()
    gevent.sleep(seconds)
    PHASE["name"] = "idle"
    seconds = time.monotonic() - started
    # Requests still in flight belong to this phase: wait for them before the next one starts.
    deadline = time.monotonic() + 60
    while BUSY["steps"] and time.monotonic() < deadline:
        gevent.sleep(0.05)
    result = _phase_stats(env, name, seconds)
    print(f"  phase {name!r}: " + ", ".join(f"{k} {v['rps']:.1f}/s" for k, v in result["endpoints"].items()))
    return result


def _save_admin_board():
    """The admin's board as the server renders it now (for the column totals check)."""
    from locust.contrib.fasthttp import FastHttpSession

    session = FastHttpSession(PLAN["host"], request_event=events.request, user=None)
    session.get("/accounts/login/")
    token = next((c.value for c in session.cookiejar if c.name == "csrftoken"), "")
    admin = PLAN["admin"]
    session.post(
        "/accounts/login/",
        data={"username": admin["username"], "password": admin["password"], "csrfmiddlewaretoken": token},
        headers={"Referer": PLAN["host"] + "/accounts/login/"},
        allow_redirects=False,
    )
    response = session.get(f"/board/{PLAN['pipeline']}/")
    return response.status_code, response.text


def main():
    plan_path, result_path = sys.argv[1], sys.argv[2]
    with open(plan_path) as handle:
        PLAN.update(json.load(handle))
    ACCOUNTS.extend(PLAN["accounts"])
    PLAN["_log_file"] = open(PLAN["moves_log"], "w")  # noqa: SIM115 (closed at the end)
    env = Environment(user_classes=[Rep], host=PLAN["host"], events=events, stop_timeout=10)
    runner = env.create_local_runner()
    users = len(ACCOUNTS)
    runner.start(users, spawn_rate=users)
    # Everyone logged in and has the board open before anything is measured.
    deadline = time.monotonic() + 120
    while READY["users"] < users and time.monotonic() < deadline:
        gevent.sleep(0.2)
    gevent.sleep(2)
    login = _phase_stats(env, "login", 1)
    results = {"users": users, "login": login["endpoints"], "phases": {}}
    results["phases"]["mix"] = _run_phase(env, "mix", PLAN["mix_seconds"])
    for name in ("minimal view", "board", "poll", "move"):
        results["phases"][name] = _run_phase(env, name, PLAN["phase_seconds"])
    runner.quit()
    PLAN["_log_file"].close()
    status, html = _save_admin_board()
    with open(PLAN["board_html"], "w") as handle:
        handle.write(html)
    results["admin_board_status"] = status
    with open(result_path, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
