"""Which columns a list shows: the `cols` parameters of the request (a saved view keeps them),
else every column. Used by the deal, lead, organization and contact lists (docs/lists.md)."""


def visible(params, available):
    """The keys of `available` ((key, label) pairs) named by the `cols` parameters, in the
    list's order; every key when none (or only unknown ones) are named."""
    keys = [key for key, _label in available]
    wanted = set(params.getlist("cols")) if hasattr(params, "getlist") else set()
    chosen = [key for key in keys if key in wanted]
    return chosen or keys


def context(params, available):
    """`columns` (the visible keys) and `column_choices` ((key, label, shown) for the chooser)."""
    columns = visible(params, available)
    return {"columns": columns, "column_choices": [(key, label, key in columns) for key, label in available]}
