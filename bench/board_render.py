"""Benchmark: the cost of rendering the board's HTML, apart from its queries.

Usage (the board benchmark's database, or its own when DATABASE_URL is not set):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/board_render.py --deals 1000
    ... bench/board_render.py --deals 1000 --profile      # plus a pyinstrument profile of one board request

Loads the board's data once (as the demo rep, the manager or --user), then renders the
board page's template --repeat times and prints the median per board and per card, the same
for the filter form alone and for the "load more" page, then the whole request (queries
included; wall time and this process's CPU time) in English and German. The template
timings are wall time: on a machine shared with other jobs compare runs made side by side.
"""

import argparse
import statistics
import time

import benchsetup


def median_ms(fn, repeat, clock=time.perf_counter):
    runs = []
    for _ in range(repeat):
        started = clock()
        fn()
        runs.append(clock() - started)
    return statistics.median(runs) * 1000


def measure(client, user, language, pipeline, board_url, repeat):
    """Print one line: the template renders (data loaded once) and the whole request."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from deals import selectors, views

    request = client.get(board_url, HTTP_ACCEPT_LANGUAGE=language).wsgi_request
    with translation.override(language):
        pipelines, chosen, filterset, columns = selectors.board_page(
            user=user, pipeline_id=pipeline.pk, data=request.GET
        )
        context = views._board_context(request, chosen, pipelines, filterset, columns)
        cards = sum(len(c.cards) for c in columns)
        page = median_ms(lambda: render_to_string("deals/board.html", context, request), repeat)
        board = median_ms(lambda: render_to_string("deals/board.html#board", context, request), repeat)
        form = median_ms(lambda: [str(field) for field in filterset.form], repeat)
        column = max(columns, key=lambda c: len(c.cards))
        more = {
            "cards": column.cards,
            "has_more": True,
            "stage": column.stage,
            "next_cursor": column.cursor,
            "board_query": "",
            "pipeline": chosen,
        }
        load_more = median_ms(lambda: render_to_string("deals/board.html#more-cards", more, request), repeat)
    whole = median_ms(lambda: client.get(board_url, HTTP_ACCEPT_LANGUAGE=language), max(5, repeat // 5))
    # This process's CPU time: what a request costs a web worker, without the database's share
    # and (mostly) without the other processes of a loaded machine.
    cpu = median_ms(
        lambda: client.get(board_url, HTTP_ACCEPT_LANGUAGE=language), max(5, repeat // 5), time.process_time
    )
    print(
        f"{user.username:<8} {language:<5} {cards:3d} cards | page template {page:6.2f} ms"
        f" | #board {board:6.2f} ms = {board / cards * 1000:5.1f} µs/card"
        f" | filter form {form:5.2f} ms | load more ({len(column.cards)}) {load_more:5.2f} ms"
        f" | whole request {whole:6.1f} ms, CPU {cpu:6.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--user", action="append", help="username (default: rep1 and manager)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one board request")
    args = parser.parse_args()

    benchsetup.setup_django(f"board-{args.deals}")
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from deals import selectors
    from deals.models import Deal

    if not Deal.objects.exists():
        call_command("seed_demo", deals=args.deals, verbosity=0)
    pipeline = selectors.pipeline_get_default()
    print(f"{Deal.objects.count()} deals; median of {args.repeat} renders")
    board_url = reverse("deals:board_pipeline", args=[pipeline.pk])

    for username in args.user or ["rep1", "manager"]:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for language in ("en-gb", "de"):
            measure(client, user, language, pipeline, board_url, args.repeat)

    if args.profile:
        from pyinstrument import Profiler

        client = Client()
        client.force_login(User.objects.get(username=(args.user or ["manager"])[0]))
        client.get(board_url)
        profiler = Profiler()
        with profiler:
            for _ in range(10):
                client.get(board_url)
        print(profiler.output_text(unicode=True, color=False, show_all=True, time="percent_of_total"))


if __name__ == "__main__":
    main()
