"""The project's translatable strings, extracted in Python as `makemessages` would find them.

Python files are read with `ast`: every call of a gettext function (by name or as an attribute,
`_(...)`, `translation.gettext(...)`, `gettext_lazy(...)` …) whose message arguments are string
literals. Templates go through Django's own `templatize` (what `makemessages` hands to xgettext),
whose calls are read with a regular expression. So the test needs no xgettext and runs on every machine;
`test_the_extraction_finds_what_makemessages_finds` compares the two where xgettext is installed.

The same directories are skipped as in docs/translations.md, and the same file kinds are read
(`.py`, and `.html`/`.txt` as templates).
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation.template import templatize

IGNORED = {".venv", "node_modules", "tests", "bench", "scripts", "staticfiles", "var", "locale", ".git"}
TEMPLATE_SUFFIXES = {".html", ".txt"}

# Function name → the positions of (context, singular, plural) among the arguments, as the
# keywords makemessages passes to xgettext.
KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


@dataclass(frozen=True)
class Message:
    msgid: str
    context: str | None
    plural: str | None
    path: str
    line: int

    @property
    def key(self):
        return (self.context, self.msgid)


def source_files(root):
    root = Path(root)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in IGNORED or part.startswith(".") for part in relative.parts[:-1]):
            continue
        if path.is_file() and (path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES):
            yield path


def _message(arguments, spec, path, line):
    context_at, singular_at, plural_at = spec
    needed = [i for i in spec if i is not None]
    if len(arguments) <= max(needed) or any(arguments[i] is None for i in needed):
        return None
    return Message(
        msgid=arguments[singular_at],
        context=arguments[context_at] if context_at is not None else None,
        plural=arguments[plural_at] if plural_at is not None else None,
        path=path,
        line=line,
    )


def python_messages(source, path):
    """The gettext calls with literal messages in Python source."""
    messages = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in KEYWORDS:
            continue
        arguments = [
            arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None for arg in node.args
        ]
        message = _message(arguments, KEYWORDS[name], path, node.lineno)
        if message and message.msgid:
            messages.append(message)
    return messages


LITERAL = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
# The calls templatize writes: gettext(u'…'), pgettext(u'…', u'…'), ngettext(u'…', u'…', count), _("…").
TEMPLATE_CALL = re.compile(
    rf"(?<![\w.])(?P<name>_|gettext|pgettext|ngettext|npgettext)\(\s*(?P<arguments>{LITERAL}(?:\s*,\s*{LITERAL})*)"
    r"(?:\s*,\s*count)?\s*\)"
)


def template_messages(source, path):
    """The translate/blocktranslate messages of a template, via Django's templatize."""
    code = templatize(source, path)
    messages = []
    for match in TEMPLATE_CALL.finditer(code):
        arguments = list(ast.literal_eval("(" + match["arguments"] + ",)"))
        line = code.count("\n", 0, match.start()) + 1  # templatize keeps the lines
        message = _message(arguments, KEYWORDS[match["name"]], path, line)
        if message and message.msgid:
            messages.append(message)
    return messages


def extract(root):
    """Every translatable message under `root`, with the file (relative to root) and line."""
    root = Path(root)
    messages = []
    for path in source_files(root):
        relative = str(path.relative_to(root))
        source = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            messages.extend(python_messages(source, relative))
        else:
            messages.extend(template_messages(source, relative))
    return messages
