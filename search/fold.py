"""The normal form that names and e-mail addresses are compared in, the same in SQL and Python.

Lower case, ß as "ss", accents dropped (é → e, ä → a), and the German transcriptions of the
umlauts taken back (ae → a, oe → o, ue → u). "Müller", "Mueller" and "Muller" all become
"muller", so each finds the others exactly; a typo is left to the trigram similarity.

PostgreSQL gets the same function as SQL, `search_fold(text)` (migration search/0001), declared IMMUTABLE
so that the trigram GIN indexes can be built on it. It uses `translate()` with the table below
instead of the unaccent extension: unaccent is only STABLE (its rules file and the search path
may change), and one explicit table gives the same answer in SQL and in the Python version that
SQLite calls (registered on every SQLite connection by `register_sqlite_function`).
"""

# Each group: the plain letter and the accented letters that fold to it.
_GROUPS = {
    "a": "àáâãäåāăą",
    "c": "çćč",
    "d": "ď",
    "e": "èéêëēėęě",
    "i": "ìíîïīį",
    "l": "ł",
    "n": "ñńň",
    "o": "òóôõöøōő",
    "r": "ŕř",
    "s": "śšş",
    "t": "ť",
    "u": "ùúûüūůűų",
    "y": "ýÿ",
    "z": "źżž",
}
ACCENTED = "".join(_GROUPS.values())
PLAIN = "".join(plain * len(letters) for plain, letters in _GROUPS.items())
_TABLE = str.maketrans(ACCENTED, PLAIN)
DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def fold(text):
    if text is None:
        return None
    text = text.lower().replace("ß", "ss").translate(_TABLE)
    for digraph, vowel in DIGRAPHS:
        text = text.replace(digraph, vowel)
    return text


def register_sqlite_function(sender, connection, **kwargs):
    """SQLite has no search_fold: give it the Python one (the fallback search compares in it)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("search_fold", 1, fold, deterministic=True)
