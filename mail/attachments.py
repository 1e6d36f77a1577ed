"""Files that other apps offer to attach to an e-mail (docs/email.md, "Writing e-mails").

The mail app sits below quotes, so it cannot read quote PDFs itself. A higher app registers a
provider in its `AppConfig.ready()`:

    attachments.register(provider)

A provider has a `key` (short, unique, e.g. "quotes") and two methods:

- `options(*, user, deal)` → [(id, label)]: what `user` may attach for `deal` (already scoped:
  the compose form calls it only for a deal the user sees);
- `file(*, user, deal, id)` → (filename, content_type, bytes), or None when the id is not one
  of the options (any more).

The compose form lists the options as "<key>:<id>" checkboxes and reads the chosen files when
the message is sent.
"""

_providers = {}


def register(provider):
    key = str(provider.key)
    if _providers.get(key) not in (None, provider):
        raise ValueError(f"The attachment provider {key!r} is registered already.")
    _providers[key] = provider


def unregister(key):
    _providers.pop(str(key), None)


def options(*, user, deal):
    """[("<key>:<id>", label)] of every provider, for a deal the user sees."""
    if deal is None:
        return []
    found = []
    for key, provider in sorted(_providers.items()):
        found += [(f"{key}:{item_id}", label) for item_id, label in provider.options(user=user, deal=deal)]
    return found


def files(*, user, deal, choices):
    """The chosen files (filename, content_type, bytes); unknown choices are skipped."""
    chosen = []
    for choice in choices:
        key, _sep, item_id = str(choice).partition(":")
        provider = _providers.get(key)
        if provider is None or deal is None:
            continue
        found = provider.file(user=user, deal=deal, id=item_id)
        if found is not None:
            chosen.append(found)
    return chosen
