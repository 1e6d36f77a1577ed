"""Benchmark: 20 reps at once against gunicorn with the production settings, and the integrity check.

Usage (PostgreSQL and Redis; the database is seeded with `seed_demo --deals N` when it holds no deals):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_load CACHE_URL=redis://127.0.0.1:6379/10 \\
      .venv/bin/python bench/load.py --deals 10000 --mix-seconds 60 --phase-seconds 15

It collects the static files, starts gunicorn (gunicorn.conf.py; --workers/--threads/
--conn-max-age override it) with CRM_MODE=production over plain http on 127.0.0.1 — the
only production settings changed are the ones that need https (SECURE_SSL_REDIRECT, secure
cookies, HSTS) — runs bench/locustrun.py (the rep mix, then the saturation phases: minimal
view, board, 304 poll, moves), stops the server and runs the integrity check
(bench/integrity.py) on the database. Prints p50/p95/p99, throughput, errors and the
ratios to the minimal view; --json writes everything for bench/run_all.py.
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import benchsetup
import integrity

ROOT = benchsetup.ROOT
VAR = ROOT / "var"


def build_plan(*, users, deals_per_user, host, out_dir):
    """One account per simulated rep: its user (rep1…repN, shared round-robin when fewer reps
    exist) and a disjoint set of its own open deals, with stage and version."""
    from accounts.models import User
    from customers.models import Region
    from deals import selectors
    from deals.models import Deal

    pipeline = selectors.pipeline_get_default()
    stages = list(selectors.stage_list(pipeline=pipeline).values_list("pk", flat=True))
    reps = list(User.objects.filter(role=User.Role.REP, is_active=True, username__startswith="rep"))
    reps.sort(key=lambda user: (len(user.username), user.username))
    reps = reps[:users]
    sharing = {rep.pk: sum(1 for i in range(users) if reps[i % len(reps)].pk == rep.pk) for rep in reps}
    seen = {rep.pk: 0 for rep in reps}
    accounts = []
    for index in range(users):
        rep = reps[index % len(reps)]
        share, part = sharing[rep.pk], seen[rep.pk]
        seen[rep.pk] += 1
        own = Deal.objects.filter(owner=rep, pipeline=pipeline, status=Deal.Status.OPEN).order_by("pk")
        picked = list(own.values("pk", "stage_id", "version")[: deals_per_user * share])[part::share]
        accounts.append(
            {
                "index": index,
                "username": rep.username,
                "password": "demo",
                "deals": [{"id": d["pk"], "stage": d["stage_id"], "version": d["version"]} for d in picked],
            }
        )
    return {
        "host": host,
        "pipeline": pipeline.pk,
        "stages": stages,
        "region": Region.NORTH.value,
        "accounts": accounts,
        "admin": {"username": "admin", "password": "demo"},
        "moves_log": str(out_dir / "moves.jsonl"),
        "board_html": str(out_dir / "admin-board.html"),
        "poll_seconds": 10,
        "think_min": 1.0,
        "think_max": 3.0,
        "conflict_every": 4,
        "distinct_reps": len(reps),
    }


def server_env(args):
    env = dict(os.environ)
    env.update(
        {
            "CRM_MODE": "production",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "CACHE_URL": args.cache_url,
            "CELERY_BROKER_URL": args.broker_url,
            # Plain http on the loopback: no redirect to https, cookies without the Secure flag, no HSTS.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(VAR / "bench-static"),
            "CRM_VAR_DIR": str(VAR / "bench-server"),
            "GUNICORN_BIND": f"127.0.0.1:{args.port}",
            "GUNICORN_ACCESS_LOG": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name, value in (
        ("GUNICORN_WORKERS", args.workers),
        ("GUNICORN_THREADS", args.threads),
        ("DB_CONN_MAX_AGE", args.conn_max_age),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _get(base, path, headers=None):
    """GET on our own loopback server: (status, headers)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


def wait_for(base, path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _get(base, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer {base}{path} within {seconds} s")


def static_is_current():
    """collectstatic (hashing and compressing every file, Brotli too) takes minutes on 2 busy
    cores: skip it when its manifest is newer than every file it collects."""
    manifest = VAR / "bench-static" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [ROOT / "static", ROOT / "node_modules" / ".installed", ROOT / "requirements.txt"]
    newest = max(
        (p.stat().st_mtime for source in sources for p in ([source] if source.is_file() else source.rglob("*"))),
        default=0,
    )
    return manifest.stat().st_mtime > newest


def static_headers(base):
    """Headers of one hashed static file as a browser asking for Brotli gets them."""
    manifest = json.loads((VAR / "bench-static" / "staticfiles.json").read_text())["paths"]
    name = next(path for path in sorted(manifest) if path.endswith(".css"))
    status, headers = _get(base, f"/static/{manifest[name]}", {"Accept-Encoding": "br, gzip"})
    return {
        "file": manifest[name],
        "status": status,
        "cache_control": headers.get("Cache-Control"),
        "content_encoding": headers.get("Content-Encoding"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--deals-per-user", type=int, default=30)
    parser.add_argument("--mix-seconds", type=float, default=60)
    parser.add_argument("--phase-seconds", type=float, default=15)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--conn-max-age", type=int)
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--cache-url", default=os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/10"))
    parser.add_argument("--broker-url", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.cache_url.startswith("locmem"):
        args.cache_url = "redis://127.0.0.1:6379/10"
    if args.broker_url.startswith("memory"):
        args.broker_url = "redis://127.0.0.1:6379/14"

    benchsetup.setup_django(f"load-{args.deals}")
    import redis
    from django.db import connection
    from django.utils import timezone

    from deals.models import Deal

    if connection.vendor != "postgresql":
        print("note: the load test is meant for PostgreSQL (set DATABASE_URL)")
    if not Deal.objects.exists():
        started = time.perf_counter()
        used = benchsetup.seed(args.deals, reps=args.users)
        print(f"seed_demo --deals {args.deals} {used}: {time.perf_counter() - started:.1f} s")
    out_dir = VAR / f"bench-load-{args.deals}"
    out_dir.mkdir(parents=True, exist_ok=True)
    host = f"http://127.0.0.1:{args.port}"
    plan = build_plan(users=args.users, deals_per_user=args.deals_per_user, host=host, out_dir=out_dir)
    plan.update({"mix_seconds": args.mix_seconds, "phase_seconds": args.phase_seconds})
    (out_dir / "plan.json").write_text(json.dumps(plan))

    env = server_env(args)
    if not static_is_current():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
    redis.Redis.from_url(args.cache_url).flushdb()  # a cold cache: no sessions, no cached pages
    connection.close()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pipeline_crm.wsgi"], cwd=ROOT, env=env, start_new_session=True
    )
    try:
        wait_for(host, "/healthz/live")
        static = static_headers(host)
        since = timezone.now()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "locustrun.py"),
                str(out_dir / "plan.json"),
                str(out_dir / "run.json"),
            ],
            cwd=ROOT,
            check=True,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    run = json.loads((out_dir / "run.json").read_text())
    moves = integrity.check_moves(integrity.read_moves(plan["moves_log"]), since=since)
    columns = integrity.check_columns(Path(plan["board_html"]).read_text(), plan["pipeline"])
    result = {
        "deals": Deal.objects.count(),
        "users": args.users,
        "distinct_reps": plan["distinct_reps"],
        "server": {k: env.get(k, "default") for k in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "DB_CONN_MAX_AGE")},
        "static": static,
        "run": run,
        "integrity": {"moves": moves, "columns": columns},
    }
    print_result(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


def ratios(run):
    phases = run["phases"]
    base = phases["minimal view"]["endpoints"].get("minimal view", {}).get("rps") or 0
    out = {}
    for name in ("board", "poll", "move"):
        rps = phases[name]["endpoints"].get(name, {}).get("rps", 0)
        out[name] = {"rps": rps, "ratio": rps / base if base else 0}
    return base, out


def print_result(result):
    run = result["run"]
    print(
        f"load test: {result['users']} users ({result['distinct_reps']} distinct reps), {result['deals']} deals, "
        f"server {result['server']}"
    )
    print(f"static file: {result['static']}")
    mix = run["phases"]["mix"]
    print(f"mix ({mix['seconds']:.0f} s):  endpoint             req/s    p50    p95    p99  failures  statuses")
    for name, row in sorted(mix["endpoints"].items()):
        print(
            f"  {name:<28} {row['rps']:7.1f} {row['p50']:6.0f} {row['p95']:6.0f} {row['p99']:6.0f} "
            f"{row['failures']:9d}  {row['statuses']}"
        )
    for error in mix["errors"]:
        print(f"  error: {error}")
    base, rel = ratios(run)
    print(f"saturation (20 users, no think time): minimal view {base:.0f}/s")
    for name, row in rel.items():
        p95 = run["phases"][name]["endpoints"].get(name, {}).get("p95", 0)
        print(f"  {name:<8} {row['rps']:7.1f}/s  = {row['ratio'] * 100:5.1f} % of the minimal view (p95 {p95:.0f} ms)")
    print(integrity.report(result["integrity"]["moves"], result["integrity"]["columns"]))


if __name__ == "__main__":
    main()
