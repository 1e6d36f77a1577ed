"""Further timeline sources that an app above the timeline provides (docs/architecture.md).

The timeline sits below the apps whose records some entries are (a sequence enrolment belongs
to the nurturing app), so it cannot import them. Instead it offers this registry: the higher
app registers, in its `AppConfig.ready()`, a `Source`,

    sources.register(Source(kind="enrolment", rank=6, time_field="at",
                            template="nurturing/_timeline_enrolment.html",
                            for_lead=lambda *, user, lead: …, for_contact=lambda *, user, contact: …))

and the lead and contact timelines read `for_lead(user=, lead=)` / `for_contact(user=, contact=)`
as one more source: a queryset (with its select_related; at most `limit + 1` rows are read
after the cursor, newest first, on `time_field`, so it wants an index on (record, time)). The
item's text is the source's template, included with `item` (the row is `item.obj`). `rank`
orders items of the same time and must be unique and above the built-in ones (0–5).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    kind: str
    rank: int
    time_field: str
    template: str
    for_lead: Callable | None = None
    for_contact: Callable | None = None


_sources = {}


def register(source):
    current = _sources.get(source.kind)
    if current not in (None, source):
        raise ValueError(f"The timeline source {source.kind!r} is registered already.")
    if any(other.rank == source.rank and other.kind != source.kind for other in _sources.values()):
        raise ValueError(f"The rank {source.rank} is taken.")
    _sources[source.kind] = source


def unregister(kind):
    _sources.pop(kind, None)


def registered():
    return list(_sources.values())


def get(kind):
    return _sources.get(kind)
