"""The load test of `make bench` (bench/locustrun.py) and its integrity check (bench/integrity.py),
run for a few seconds at a tiny size against a live server on PostgreSQL."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import integrity  # noqa: E402 (bench/ is not a package)
import load  # noqa: E402

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def load_run(_require_postgres, live_server, tmp_path):
    """seed_demo with 40 deals, then four reps for 3 s of the mix and 1 s per saturation phase
    (on SQLite the test is skipped before any of it)."""
    call_command("seed_demo", deals=40, reset=True, verbosity=0)
    plan = load.build_plan(users=4, deals_per_user=4, host=live_server.url, out_dir=tmp_path)
    plan.update({"mix_seconds": 3, "phase_seconds": 1, "think_min": 0.02, "think_max": 0.05, "poll_seconds": 1})
    plan["conflict_every"] = 2
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    since = timezone.now()
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "locustrun.py"), str(tmp_path / "plan.json"), str(tmp_path / "run.json")],
        cwd=ROOT,
        check=True,
        timeout=180,
    )
    return plan, since, json.loads((tmp_path / "run.json").read_text())


def test_load_run_leaves_every_accepted_move_in_the_history_and_the_check_catches_a_lost_one(load_run):
    plan, since, run = load_run
    moves = integrity.check_moves(integrity.read_moves(plan["moves_log"]), since=since)
    columns = integrity.check_columns(Path(plan["board_html"]).read_text(), plan["pipeline"])

    assert moves["accepted"] > 0
    assert set(moves["refused"]) == {409}  # the deliberately stale moves, and only they
    assert moves["lost_updates"] == 0
    assert moves["refused_or_unknown_left_history"] == 0
    assert columns["columns"] == columns["columns_shown"] > 0
    assert columns["columns_wrong"] == []
    mix = run["phases"]["mix"]["endpoints"]
    assert {"board", "move", "poll"} <= set(mix)
    assert all(row["failures"] == 0 for phase in run["phases"].values() for row in phase["endpoints"].values())
    assert run["phases"]["minimal view"]["endpoints"]["minimal view"]["rps"] > 0
    assert "lost updates: 0" in integrity.report(moves, columns)

    # The same check fed a fabricated lost update and a tampered column total reports them.
    moves = integrity.read_moves(plan["moves_log"])
    accepted = next(e for e in moves if e["event"] == "answered" and e["status"] == 200)
    # A move the server "accepted" that never reached the stage history.
    fake = {**accepted, "key": "fabricated", "from_stage": accepted["to_stage"], "to_stage": accepted["from_stage"]}
    moves += [{**fake, "event": "sent"}, {**fake, "event": "answered", "status": 200}]
    html = Path(plan["board_html"]).read_text()
    counts = integrity.rendered_columns(html)
    stage, (count, _total, _weighted) = next(iter(counts.items()))
    tampered = html.replace(f'data-testid="column-count">{count}<', f'data-testid="column-count">{count + 1}<', 1)

    result = integrity.check_moves(moves, since=since)
    columns = integrity.check_columns(tampered, plan["pipeline"])

    assert result["lost_updates"] == 2  # the missing history row, and the deal's final stage
    assert result["accepted_missing_from_history"] == 1
    assert "lost updates: 2" in integrity.report(result, columns)
    assert [wrong["stage"] for wrong in columns["columns_wrong"]] == [stage]
