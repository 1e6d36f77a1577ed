"""`make bench`: every benchmark from scratch on PostgreSQL at each size, and the table in docs/benchmarks.md.

Usage (the Makefile passes its BENCH_* variables):

    .venv/bin/python bench/run_all.py [--sizes 1000,10000,100000] [--duration 60] [--label latest]

For each size: a fresh database `<BENCH_DATABASE_URL's name>_<size>` (dropped and created),
`seed_demo --deals N --reset --reps 20 --moves-per-deal F` and a `VACUUM (ANALYZE)`, then
bench/board.py, bench/dashboard.py and bench/load.py against it. The figures are kept in
bench/results.json under --label (a run replaces only the rows of its own label, so a
"before" row stays beside the latest one) and the table in docs/benchmarks.md is rewritten from
that file, with the date, the machine (`nproc`, RAM) and its load average.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import report

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"


def database_url(base, size):
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path}_{size}"))


def recreate_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def vacuum(url):
    """VACUUM (ANALYZE) the whole database after seeding, as autovacuum would on a server that
    runs it (this machine's PostgreSQL has it off): fresh statistics, and the visibility map that
    lets the board count old deals from the index alone (docs/board.md)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")


def run(command, env, log):
    started = time.perf_counter()
    print(f"$ {' '.join(command[1:])}", flush=True)
    with open(log, "a") as handle:
        completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=handle, text=True)
        handle.write(completed.stdout)
    print(completed.stdout, end="", flush=True)
    if completed.returncode:
        raise SystemExit(f"{command[1]} failed ({completed.returncode}); see {log}")
    return completed.stdout, time.perf_counter() - started


def parse_dashboard(output):
    """{label: {"ms", "queries"}} from bench/dashboard.py's lines such as
    `rollup of one day (nightly): median 293 ms over 5 run(s) (min 242, max 356; 6 queries)`;
    the label loses its bracketed remarks."""
    figures = {}
    for line in output.splitlines():
        match = re.match(r"^(.*?): median (\d+) ms(.*)$", line)
        if match:
            label = re.sub(r" \([^)]*\)", "", match.group(1))
            queries = re.search(r"(\d+) queries\)", match.group(1) + match.group(3))
            figures[label] = {"ms": int(match.group(2)), "queries": int(queries.group(1)) if queries else None}
        match = re.match(r"^database: \w+; (\d+) deals, (\d+) stage changes", line)
        if match:
            figures["stage changes"] = int(match.group(2))
    return figures


def bench_size(size, args):
    url = database_url(args.database_url, size)
    env = dict(os.environ, CRM_MODE="embedded", DATABASE_URL=url, CACHE_URL="locmem://", CELERY_BROKER_URL="memory://")
    log = VAR / f"bench-{size}.log"
    log.unlink(missing_ok=True)
    print(f"\n=== {size} deals: {url}", flush=True)
    recreate_database(url)
    py = sys.executable
    run([py, "manage.py", "migrate", "--noinput", "-v", "0"], env, log)
    seed = ["--deals", str(size), "--reset", "--reps", str(args.users), "--moves-per-deal", str(args.moves_per_deal)]
    _out, seed_seconds = run([py, "manage.py", "seed_demo", *seed], env, log)
    vacuum(url)
    board_json, load_json = VAR / f"bench-board-{size}.json", VAR / f"bench-load-{size}.json"
    repeat = ["--repeat", str(args.repeat)]
    run([py, "bench/board.py", "--deals", str(size), *repeat, "--json", str(board_json)], env, log)
    dashboard_out, _ = run(
        [py, "bench/dashboard.py", "--deals", str(size), *repeat, "--backfill-days", str(args.backfill_days)], env, log
    )
    load_env = dict(env, CACHE_URL=args.cache_url, CELERY_BROKER_URL=args.broker_url)
    load = ["--deals", str(size), "--users", str(args.users), "--json", str(load_json)]
    load += ["--mix-seconds", str(args.duration), "--phase-seconds", str(max(5, args.duration / 4))]
    run([py, "bench/load.py", *load], load_env, log)
    return {
        "deals": size,
        "seed": {"arguments": seed, "seconds": round(seed_seconds, 1)},
        "board": json.loads(board_json.read_text()),
        "dashboard": parse_dashboard(dashboard_out),
        "backfill_days": args.backfill_days,
        "load": json.loads(load_json.read_text()),
    }


def machine():
    load = os.getloadavg()
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(int(memory.split()[1]) / 1024 / 1024, 1),
        "load": [round(x, 2) for x in load],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the rep mix (phases: a quarter each)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--moves-per-deal", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backfill-days", type=int, default=365)
    parser.add_argument("--label", default="latest", help="the table row's label (e.g. before)")
    default_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pipeline_crm_bench")
    parser.add_argument("--database-url", default=default_url, help="base URL; _<size> is appended to its name")
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/10"))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)
    started = time.perf_counter()
    before = machine()
    rows = []
    for size in (int(size) for size in args.sizes.split(",") if size.strip()):
        rows.append(bench_size(size, args))
        # After each size: an interrupted run still leaves the sizes it finished in the table.
        table, minutes = save(args, rows, before, started)
    print("\n" + table)
    print(f"make bench: {minutes} min; results in {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")


def save(args, rows, before, started):
    entry = {
        "label": args.label,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {**machine(), "load_before": before["load"]},
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "duration": args.duration,
        "rows": rows,
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    results["runs"] = [run for run in results["runs"] if run["label"] != args.label] + [entry]
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    table = report.markdown(results["runs"])
    report.write_into(DOC, table)
    return table, entry["minutes"]


if __name__ == "__main__":
    main()
