"""The SQL expressions the search compares against, one per record type.

On PostgreSQL each expression is exactly the one a GIN index of migration search/0001 is built on
(the planner uses an expression index only for the same expression): `search_fold(a || ' ' || b)`
for trigrams, `to_tsvector('german', …) || to_tsvector('english', …)` for words. On SQLite the same
`search_fold` is the Python function registered by the search app.
"""

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db.models import BooleanField, F, FloatField, Func, TextField

JOIN = " || ' ' || "


class Folded(Func):
    """search_fold(field || ' ' || field …): the folded text of the record (search/fold.py)."""

    function = "search_fold"
    arg_joiner = JOIN
    output_field = TextField()

    def __init__(self, *fields):
        super().__init__(*(F(name) for name in fields))


class WordDistance(Func):
    """doc <->> 'query': 1 − word similarity, the order a GiST trigram index can return rows in."""

    template = "%(expressions)s"
    arg_joiner = " <->> "
    output_field = FloatField()


class Words(Func):
    """The German and the English full-text vector of the fields (PostgreSQL only)."""

    template = (
        "(to_tsvector('german'::regconfig, %(expressions)s) || to_tsvector('english'::regconfig, %(expressions)s))"
    )
    arg_joiner = JOIN
    output_field = SearchVectorField()

    def __init__(self, *fields):
        super().__init__(*(F(name) for name in fields))


class WordsQuery(Func):
    """The query read as German or as English (websearch syntax: never a syntax error)."""

    output_field = SearchQueryField()

    def __init__(self, text):
        self.text = text
        super().__init__()

    def as_sql(self, compiler, connection, **extra):
        sql = "(websearch_to_tsquery('german'::regconfig, %s) || websearch_to_tsquery('english'::regconfig, %s))"
        return sql, (self.text, self.text)


class WordsMatch(Func):
    """vector @@ query"""

    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


class WordsRank(Func):
    function = "ts_rank"
    output_field = FloatField()


ORGANIZATION = ("name", "email_domain", "city")
CONTACT = ("first_name", "last_name", "email")
LEAD = ("first_name", "last_name", "company_name", "email")
DEAL = ("title",)
ACTIVITY = ("subject", "note")
