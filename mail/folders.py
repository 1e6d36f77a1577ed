"""IMAP folder names: quoting for commands, modified UTF-7 (RFC 3501 5.1.3), and finding the
Sent folder by its special-use attribute (RFC 6154) or, failing that, by a usual name.

A folder is stored (MailFolder.name) as the server names it, encoded; people read it decoded.
"""

import base64
import re

# Names providers give the Sent folder when they do not mark it \Sent (German ones included).
USUAL_SENT_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "Gesendet",
    "Gesendete Objekte",
    "Gesendete Elemente",
)

_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delimiter>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')


def encode(name):
    """A folder name as IMAP expects it: printable ASCII as is, '&' as '&-', the rest in
    modified base64 of UTF-16 between '&' and '-'."""
    out, pending = [], []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode(name):
    def chunk(match):
        text = match.group(1)
        if not text:
            return "&"
        padded = text.replace(",", "/") + "=" * (-len(text) % 4)
        try:
            return base64.b64decode(padded).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", chunk, name)


def quoted(encoded_name):
    """The name as a quoted string for SELECT, LIST, APPEND."""
    return '"' + encoded_name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(value):
    value = value.strip()
    if value.startswith('"') and value.endswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_list(data):
    """[(flags, encoded name)] from the untagged data of LIST (imaplib's `list()`)."""
    folders = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):  # the name sent as a literal
            head, literal = item
            match = _LIST_LINE.match(head.rstrip())
            if match:
                folders.append((match.group("flags").decode().split(), literal.decode("utf-8", "replace")))
            continue
        match = _LIST_LINE.match(item)
        if match:
            name = _unquote(match.group("name").decode("utf-8", "replace"))
            folders.append((match.group("flags").decode().split(), name))
    return folders


def find_sent(client):
    """(encoded name, how) of the Sent folder: how is "special-use" when the server marks it
    \\Sent, "name" when found by a usual name; (None, None) when there is none."""
    typ, data = client.list()
    folders = parse_list(data) if typ == "OK" else []
    for flags, name in folders:
        if "\\sent" in {flag.lower() for flag in flags}:
            return name, "special-use"
    capabilities = {str(capability).upper() for capability in getattr(client, "capabilities", ())}
    if "SPECIAL-USE" in capabilities:
        # Some servers mark special-use folders only when asked (LIST-EXTENDED, RFC 6154 2).
        typ, data = client.list('(SPECIAL-USE) ""', "*")
        for flags, name in parse_list(data) if typ == "OK" else []:
            if "\\sent" in {flag.lower() for flag in flags}:
                return name, "special-use"
    by_name = {}
    for _flags, name in folders:  # "Sent", or "INBOX.Sent" on servers that nest under the inbox
        readable = decode(name)
        by_name.setdefault(readable.lower(), name)
        by_name.setdefault(re.split(r"[./]", readable)[-1].lower(), name)
    for usual in USUAL_SENT_NAMES:
        if usual.lower() in by_name:
            return by_name[usual.lower()], "name"
    return None, None
