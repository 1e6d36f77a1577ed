"""The `make bench` tables: from bench/results.json to the section of docs/benchmarks.md."""

START = "<!-- make bench: start (bench/run_all.py rewrites this part) -->"
END = "<!-- make bench: end -->"
SECTION = "## Speed under load (`make bench`)"


def _f(value, digits=0, unit=""):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{unit}"


def _board(row, name, user="rep1"):
    return row["board"]["figures"].get(f"{user}: {name}", {})


def _dash(row, name):
    return row["dashboard"].get(name, {})


def _mix(row, name):
    return row["load"]["run"]["phases"]["mix"]["endpoints"].get(name, {})


def _ratios(row):
    phases = row["load"]["run"]["phases"]
    base = phases["minimal view"]["endpoints"].get("minimal view", {}).get("rps") or 0
    out = {"minimal view": base}
    for name in ("board", "poll", "move"):
        rps = phases[name]["endpoints"].get(name, {}).get("rps", 0)
        out[name] = rps / base if base else None
    return out


def _errors(row):
    run = row["load"]["run"]
    failures = sum(e.get("failures", 0) for e in run["login"].values())
    for phase in run["phases"].values():
        failures += sum(e["failures"] for e in phase["endpoints"].values())
    return failures


def _single_rows(run):
    lines = []
    for row in run["rows"]:
        board, region = _board(row, "board page"), _board(row, "board filtered by region")
        first = _dash(row, "dashboard full page as manager, first view")
        repeated = _dash(row, "dashboard full page as manager, repeated view")
        backfill = _dash(row, f"backfill of {row['backfill_days']} days")
        cells = [
            run["label"],
            _f(row["deals"]),
            _f(row["dashboard"].get("stage changes")),
            f"{_f(board.get('ms'), 1)} ({board.get('queries', '—')})",
            f"{_f(region.get('ms'), 1)} ({region.get('queries', '—')})",
            f"{_f(_board(row, 'move').get('ms'), 1)} ({_board(row, 'move').get('queries', '—')})",
            f"{_f(_board(row, 'poll, unchanged').get('ms'), 1)} ({_board(row, 'poll, unchanged').get('queries', '—')})",
            f"{_f(_board(row, 'deal detail').get('ms'), 1)} ({_board(row, 'deal detail').get('queries', '—')})",
            f"{_f(_board(row, 'lead list').get('ms'), 1)} ({_board(row, 'lead list').get('queries', '—')})",
            f"{_f(_board(row, 'search').get('ms'), 1)} ({_board(row, 'search').get('queries', '—')})",
            f"{_f(_board(row, 'organization page').get('ms'), 1)} ({_board(row, 'organization page').get('queries', '—')})",
            f"{_f(first.get('ms'))} ({first.get('queries', '—')}) / {_f(repeated.get('ms'))}",
            _f(_dash(row, "rollup of one day").get("ms")),
            f"{_f(backfill.get('ms'))} ({row['backfill_days']} d)" if backfill else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _load_rows(run):
    lines = []
    for row in run["rows"]:
        board, move, poll, detail = _mix(row, "board"), _mix(row, "move"), _mix(row, "poll"), _mix(row, "deal detail")
        ratios = _ratios(row)
        moves = row["load"]["integrity"]["moves"]
        columns = row["load"]["integrity"]["columns"]
        cells = [
            run["label"],
            _f(row["deals"]),
            f"{_f(board.get('p50'))} / {_f(board.get('p95'))} / {_f(board.get('p99'))}",
            f"{_f(move.get('p50'))} / {_f(move.get('p95'))} / {_f(move.get('p99'))}",
            f"{_f(poll.get('p50'))} / {_f(poll.get('p95'))} / {_f(poll.get('p99'))}",
            f"{_f(detail.get('p50'))} / {_f(detail.get('p95'))}",
            _f(ratios["minimal view"]),
            " / ".join(
                _f(ratios[n] * 100 if ratios[n] is not None else None, 1, " %") for n in ("board", "move", "poll")
            ),
            f"{moves['accepted']} / {moves['refused'].get('409', 0)}",
            str(_errors(row)),
            str(moves["lost_updates"]),
            f"{columns['columns'] - len(columns['columns_wrong'])} of {columns['columns']}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _targets(run):
    rows = sorted(run["rows"], key=lambda r: r["deals"])
    if not rows:
        return []
    small, big = rows[0], rows[-1]
    ratios = _ratios(big)

    def ratio(a, b):
        return a / b if a is not None and b else None

    def across(a, b):  # a size ratio needs two sizes
        return ratio(a, b) if big is not small else None

    board_big, board_small = _board(big, "board page").get("ms"), _board(small, "board page").get("ms")
    region_big, region_small = (_board(r, "board filtered by region").get("ms") for r in (big, small))
    poll_big = _board(big, "poll, unchanged").get("ms")
    errors = sum(_errors(r) for r in rows)
    lost = sum(r["load"]["integrity"]["moves"]["lost_updates"] for r in rows)
    n = f"{big['deals']:,}"
    # The dashboard's first view is compared with the size a tenth of the largest (100k ÷ 10k).
    tenth = next((r for r in rows if r["deals"] * 10 == big["deals"]), None)
    first, repeated = "dashboard full page as manager, first view", "dashboard full page as manager, repeated view"
    dashboard_ratio = ratio(_dash(big, first).get("ms"), _dash(tenth, first).get("ms")) if tenth else None
    backfill = _dash(big, f"backfill of {big['backfill_days']} days").get("ms")
    changes = big["dashboard"].get("stage changes")
    backfill_name = f"backfill of {big['backfill_days']} days over {_f(changes)} stage changes"
    checks = [
        (f"board p95 under the mix at {n}", _mix(big, "board").get("p95"), "≤ 150 ms", lambda v: v <= 150, " ms"),
        ("board throughput ÷ minimal view", _pct(ratios["board"]), "≥ 10 %", lambda v: v >= 10, " %"),
        ("move throughput ÷ minimal view", _pct(ratios["move"]), "≥ 25 %", lambda v: v >= 25, " %"),
        ("304 poll throughput ÷ minimal view", _pct(ratios["poll"]), "≥ 50 %", lambda v: v >= 50, " %"),
        (f"board {n} ÷ {small['deals']:,}", across(board_big, board_small), "≤ 1.3", lambda v: v <= 1.3, ""),
        (
            f"region-filtered board {n} ÷ {small['deals']:,}",
            across(region_big, region_small),
            "≤ 1.3",
            lambda v: v <= 1.3,
            "",
        ),
        (f"304 poll ÷ full render at {n}", _pct(ratio(poll_big, board_big)), "≤ 10 %", lambda v: v <= 10, " %"),
        (f"move p95 under the mix at {n}", _mix(big, "move").get("p95"), "≤ 100 ms", lambda v: v <= 100, " ms"),
        (
            f"dashboard first view {n} ÷ {tenth['deals']:,}" if tenth else "dashboard first view ÷ a tenth the size",
            dashboard_ratio,
            "≤ 2",
            lambda v: v <= 2,
            "",
        ),
        (f"dashboard repeated view at {n}", _dash(big, repeated).get("ms"), "≤ 50 ms", lambda v: v <= 50, " ms"),
        (f"global search (slowest of rep1's) at {n}", _slowest_search(big), "≤ 100 ms", lambda v: v <= 100, " ms"),
        (backfill_name, backfill / 1000 if backfill else None, "≤ 60 s (12 months)", lambda v: v <= 60, " s"),
        ("errors (other than intended 409s)", errors, "0", lambda v: v == 0, ""),
        ("lost updates", lost, "0", lambda v: v == 0, ""),
    ]
    lines = []
    for name, value, target, test, unit in checks:
        verdict = "—" if value is None else ("met" if test(value) else "**missed**")
        lines.append(
            f"| {run['label']} | {name} | {_f(value, 2 if unit == '' and isinstance(value, float) else 1 if unit == ' %' else 0, unit)} | {target} | {verdict} |"
        )
    return lines


def _slowest_search(row):
    times = [_board(row, name).get("ms") for name in ("search", "search typo", "search dropdown")]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def _pct(value):
    return None if value is None else value * 100


def markdown(runs):
    out = [SECTION, "", START, ""]
    for run in runs:
        m = run["machine"]
        out.append(
            f"- **{run['label']}**: {run['date']}, {m['nproc']} cores, {m['ram_gib']} GiB RAM, load average "
            f"{m['load_before'][0]} before / {m['load'][0]} after (1 min), {run['minutes']} min in all, "
            f"rep mix {run['duration']:.0f} s, each saturation phase {max(5, run['duration'] / 4):.0f} s, "
            f"seed `{' '.join(run['rows'][0]['seed']['arguments'][2:]) if run['rows'] else ''}`, "
            f"{run['rows'][0]['load']['distinct_reps'] if run['rows'] else '?'} distinct reps for "
            f"{run['rows'][0]['load']['users'] if run['rows'] else '?'} simulated users."
        )
    out += [
        "",
        "Single requests (rep1 unless named; median ms, queries in brackets; PostgreSQL, Django test client):",
        "",
        "| run | deals | stage changes | board | board, region filter | move | 304 poll | deal page | lead list "
        "| search | organization page | dashboard (manager) first (queries) / repeated | rollup of a day | backfill |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        out += _single_rows(run)
    out += [
        "",
        "Under load (gunicorn, production settings, Redis; ms p50 / p95 / p99 during the rep mix; throughput ratios "
        "from the saturation phases, 20 users without think time):",
        "",
        "| run | deals | board | move | poll | deal page p50 / p95 | minimal view req/s | board / move / poll ÷ minimal "
        "| moves accepted / intended 409 | errors | lost updates | column totals = SQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        out += _load_rows(run)
    out += [
        "",
        "Targets of issue 11 (largest size of each run):",
        "",
        "| run | target | measured | goal | |",
        "|---|---|---:|---|---|",
    ]
    for run in runs:
        out += _targets(run)
    out += ["", END]
    return "\n".join(out)


def write_into(path, table):
    text = path.read_text()
    if START in text and END in text:
        head = text[: text.index(START)]
        head = head[: head.rindex(SECTION)] if SECTION in head else head
        tail = text[text.index(END) + len(END) :]
        text = head + table + tail
    else:
        marker = "\n## "
        at = text.index(marker) + 1 if marker in text else len(text)
        text = text[:at] + table + "\n\n" + text[at:]
    path.write_text(text)
