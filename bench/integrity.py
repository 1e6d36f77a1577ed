"""The load test's integrity check, computed from the database after the run.

- every move that answered 200 is in the stage history (deals.StageChange, kind "moved",
  with the same deal, stages and actor), once;
- every refused move (the intended 409s, any other refusal) left nothing there;
- each moved deal ends in the stage and version its last accepted move gave it;
- every column total of the board as the server rendered it (count, total, weighted) equals a
  direct SQL aggregate over the deals table.

"lost updates" counts accepted moves missing from the history plus deals whose final state is
not the one their last accepted move set. A move that was sent but got no answer (the run
ended mid-request) may or may not have happened; it is counted apart and excuses one row.
Needs Django set up (bench/benchsetup.py or the test suite).
"""

import json
import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

_SECTION = re.compile(r'<section id="column-(\d+)"(.*?)</section>', re.S)
_FIELD = re.compile(r'data-testid="column-(count|total|weighted)">([^<]*)<')


def read_moves(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check_moves(moves, *, since):
    """The moves logged by the load test against the stage history written since `since`."""
    from deals.models import Deal, StageChange

    answered = {entry["key"]: entry for entry in moves if entry["event"] == "answered"}
    sent = [entry for entry in moves if entry["event"] == "sent"]
    unanswered = [entry for entry in sent if entry["key"] not in answered]
    accepted, refused = {}, Counter()
    for entry in sent:
        outcome = answered.get(entry["key"])
        if outcome is None:
            continue
        if outcome["status"] == 200:
            accepted.setdefault(entry["deal"], []).append(entry)
        else:
            refused[outcome["status"]] += 1
    deal_ids = {entry["deal"] for entry in sent}
    history = {}
    rows = StageChange.objects.filter(deal_id__in=deal_ids, kind=StageChange.Kind.MOVED, at__gte=since)
    for deal_id, from_stage, to_stage, actor in rows.order_by("at", "id").values_list(
        "deal_id", "from_stage_id", "to_stage_id", "actor__username"
    ):
        history.setdefault(deal_id, Counter())[(from_stage, to_stage, actor)] += 1
    uncertain = {}
    for entry in unanswered:
        uncertain.setdefault(entry["deal"], Counter())[(entry["from_stage"], entry["to_stage"], entry["user"])] += 1

    missing = extra = wrong_final = 0
    finals = dict(Deal.objects.filter(pk__in=deal_ids).values_list("pk", "stage_id"))
    versions = dict(Deal.objects.filter(pk__in=deal_ids).values_list("pk", "version"))
    for deal_id in deal_ids:
        expected = Counter((e["from_stage"], e["to_stage"], e["user"]) for e in accepted.get(deal_id, []))
        found = history.get(deal_id, Counter())
        missing += sum((expected - found).values())
        extra += sum((found - expected - uncertain.get(deal_id, Counter())).values())
        last = (accepted.get(deal_id) or [None])[-1]
        settled = last is not None and deal_id not in uncertain
        if settled and (finals.get(deal_id), versions.get(deal_id)) != (last["to_stage"], last["version"] + 1):
            wrong_final += 1
    return {
        "moves_sent": len(sent),
        "accepted": sum(len(v) for v in accepted.values()),
        "refused": dict(refused),
        "unanswered": len(unanswered),
        "accepted_missing_from_history": missing,
        "refused_or_unknown_left_history": extra,
        "deals_in_wrong_final_state": wrong_final,
        "lost_updates": missing + wrong_final,
    }


def rendered_columns(html):
    """{stage id: (count, total, weighted)} from a board page (whole currency units, as shown)."""
    columns = {}
    for stage_id, body in _SECTION.findall(html):
        fields = {name: int(re.sub(r"\D", "", value) or 0) for name, value in _FIELD.findall(body)}
        columns[int(stage_id)] = (fields.get("count"), fields.get("total"), fields.get("weighted"))
    return columns


def sql_columns(pipeline_id):
    """The same figures by one direct SQL aggregate over the open deals of the pipeline."""
    from django.db import connection

    from deals.models import Deal, Stage

    sql = f"""
        SELECT s.id, COUNT(d.id), COALESCE(SUM(d.value), 0),
               COALESCE(SUM(d.value * COALESCE(d.probability, s.probability)), 0) / 100
        FROM {Stage._meta.db_table} s
        LEFT JOIN {Deal._meta.db_table} d ON d.stage_id = s.id AND d.status = 'open'
        WHERE s.pipeline_id = %s
        GROUP BY s.id
    """  # noqa: S608 (table names from the models, the value a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pipeline_id])
        rows = cursor.fetchall()

    def whole(amount):
        # As the board: money to the cent first, then shown in whole units.
        cents = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return int(cents.quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    return {stage_id: (count, whole(total), whole(weighted)) for stage_id, count, total, weighted in rows}


def check_columns(html, pipeline_id):
    shown, expected = rendered_columns(html), sql_columns(pipeline_id)
    wrong = sorted(stage for stage in expected if shown.get(stage) != expected[stage])
    return {
        "columns": len(expected),
        "columns_shown": len(shown),
        "columns_wrong": [{"stage": s, "shown": shown.get(s), "sql": expected[s]} for s in wrong],
    }


def report(moves_result, columns_result):
    lines = [
        f"moves sent {moves_result['moves_sent']}, accepted {moves_result['accepted']}, "
        f"refused {moves_result['refused'] or 0}, without answer {moves_result['unanswered']}",
        f"accepted moves missing from the stage history: {moves_result['accepted_missing_from_history']}",
        f"stage history rows no accepted move explains: {moves_result['refused_or_unknown_left_history']}",
        f"deals not in the state of their last accepted move: {moves_result['deals_in_wrong_final_state']}",
        f"column totals that differ from SQL: {len(columns_result['columns_wrong'])} of {columns_result['columns']}",
        f"lost updates: {moves_result['lost_updates']}",
    ]
    return "\n".join(lines)
