"""Benchmark: the board's column totals and the poll's change token, from the deal summary
against the aggregate over the deals they replaced (deals/summary.py, docs/board.md).

Usage (the board benchmark's database; seed it with bench/board.py first):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/board_totals.py

Prints, per role, the median time of the totals query of every column (the board), of two
columns (a move's answer) and of the poll's token query, each as the aggregate over the
deals and from the summary.
"""

import argparse
import statistics
import time

import benchsetup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=10_000, help="the board benchmark's database of N deals")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    benchsetup.setup_django(f"board-{args.deals}")
    from django.db.models import Count, Max

    from accounts.models import User
    from deals import selectors, summary
    from deals.models import Deal, Stage

    pipeline = selectors.pipeline_get_default()
    stages = Stage.objects.filter(pipeline=pipeline).select_related("health").order_by("order", "id")
    two = stages.filter(pk__in=[s.pk for s in stages][:2])
    print(f"{Deal.objects.count()} deals, {Deal.objects.filter(pipeline=pipeline, status='open').count()} open")

    def median_ms(fn):
        fn()
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - started)
        return statistics.median(runs) * 1000

    answers = summary.answers

    def both(fn):
        """(aggregate over the deals, summary) for the same selection."""
        summary.answers = lambda filterset: False
        try:
            aggregate = median_ms(fn)
        finally:
            summary.answers = answers
        return aggregate, median_ms(fn)

    for username in ("rep1", "manager", "admin"):
        filterset = selectors.board_filter(
            user=User.objects.get(username=username), pipeline=pipeline.pk, data={}, with_choices=False
        )
        board = both(lambda fs=filterset: list(selectors._with_totals(stages, fs)))
        move = both(lambda fs=filterset: list(selectors._with_totals(two, fs)))
        old_poll = median_ms(
            lambda fs=filterset: list(
                fs.qs.order_by().values("stage_id").annotate(n=Count("pk"), last=Max("updated_at"))
            )
        )
        new_poll = median_ms(lambda fs=filterset: summary.signatures(filterset=fs, pipeline_id=pipeline.pk))
        print(
            f"{username:8} totals, every column {board[0]:6.1f} → {board[1]:5.1f} ms | "
            f"two columns (move) {move[0]:6.1f} → {move[1]:5.1f} ms | "
            f"poll token {old_poll:5.1f} → {new_poll:5.1f} ms"
        )


if __name__ == "__main__":
    main()
