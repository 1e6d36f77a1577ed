"""The initials avatar: the user's chosen colour, else a stable colour from a small palette picked by
the username (docs/accounts.md, "Profile").

The Content Security Policy refuses inline styles, so a palette colour is a CSS class
(`avatar-c0` … in static/css/app.css, the same list as `PALETTE`) and a chosen colour travels in
`data-avatar-color`, set as the background by static/js/app.js. White initials on every palette colour
have a contrast of at least 4.5:1 (WCAG AA); on a chosen colour too light for that the initials are
dark (`avatar-dark-text`).
"""

import re
import zlib

from django.utils.html import format_html

PALETTE = (
    "#1d4ed8",  # blue
    "#047857",  # green
    "#b91c1c",  # red
    "#6d28d9",  # violet
    "#be185d",  # pink
    "#0e7490",  # teal
    "#a1460a",  # amber
    "#4b5563",  # slate
)
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5


def palette_index(username):
    """Stable across processes and releases (CRC-32, not Python's salted hash)."""
    return zlib.crc32((username or "").encode()) % len(PALETTE)


def palette_color(username):
    return PALETTE[palette_index(username)]


def _channel(value):
    value /= 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color):
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(color):
    return 1.05 / (relative_luminance(color) + 0.05)


def background(user):
    """The avatar's background: the chosen colour, else the palette's for the username."""
    chosen = getattr(user, "avatar_color", "") or ""
    return chosen.lower() if COLOR.match(chosen) else palette_color(user.username)


def avatar_html(user, *, extra_class=""):
    """`<span class="avatar …">` with the user's initials and name as the tooltip."""
    chosen = getattr(user, "avatar_color", "") or ""
    classes = ["avatar"]
    if COLOR.match(chosen):
        if contrast_with_white(chosen) < MIN_CONTRAST:
            classes.append("avatar-dark-text")
        data = chosen.lower()
    else:
        classes.append(f"avatar-c{palette_index(user.username)}")
        data = ""
    if extra_class:
        classes.append(extra_class)
    if data:
        return format_html(
            '<span class="{}" title="{}" data-avatar-color="{}">{}</span>', " ".join(classes), user, data, user.initials
        )
    return format_html('<span class="{}" title="{}">{}</span>', " ".join(classes), user, user.initials)
