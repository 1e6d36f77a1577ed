"""The quote's PDF, rendered with WeasyPrint from one template per language
(templates/quotes/pdf/quote_<lang>.html on a shared base and stylesheet), and the download of
the PDF stored when the quote was sent (docs/quotes.md, "PDF").

WeasyPrint reads every stylesheet, font and image through `AssetFetcher`: only files inside
the PDF's own template folder and the bundled font package, and `data:` URLs (the company
logo is embedded that way). Nothing is fetched from the network or from other paths, whatever
a text on the quote contains (texts are escaped by the template anyway).
"""

import base64
import hashlib
import io
import logging
import mimetypes
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from quotes.errors import QuoteError
from quotes.models import CompanyProfile
from quotes.snapshots import buyer_snapshot, seller_snapshot

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "quotes" / "pdf"
FONT_DIR = Path(settings.BASE_DIR) / "node_modules" / "@fontsource" / "source-sans-3" / "files"
ALLOWED_DIRS = (TEMPLATE_DIR, FONT_DIR)
TEMPLATES = {"de": "quotes/pdf/quote_de.html", "en": "quotes/pdf/quote_en.html"}
FILE_PREFIX = {"de": "Angebot", "en": "Quote"}
DRAFT = {"de": "Entwurf", "en": "Draft"}
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def _weasyprint():
    # Imported on first use: WeasyPrint loads Pango when imported, which the web and worker
    # processes need only when a quote is rendered.
    import weasyprint
    import weasyprint.urls

    return weasyprint


def _short_language(quote):
    return "de" if (quote.language or settings.LANGUAGE_CODE).startswith("de") else "en"


def asset_fetcher():
    """WeasyPrint's URL fetcher restricted to the PDF's own files (see the module's docstring)."""
    urls = _weasyprint().urls

    class AssetFetcher(urls.URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=2)

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme != "file":
                raise ValueError(f"Refused to fetch {url[:100]!r}: only the quote's own files are read.")
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root.resolve()) for root in ALLOWED_DIRS) or not path.is_file():
                raise ValueError(f"Refused to read {path}: not one of the quote's own files.")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return urls.URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})

    return AssetFetcher()


def _logo_data_uri(name):
    """The company logo as a data: URL (read from the media storage, which may be remote), or ""."""
    content_type = LOGO_TYPES.get(Path(name).suffix.lower()) if name else None
    if content_type is None:
        return ""
    try:
        with default_storage.open(name, "rb") as stored:
            content = stored.read(LOGO_MAX_BYTES + 1)
    except OSError as exc:
        logger.warning("Quote PDF without logo: %s cannot be read (%s).", name, exc)
        return ""
    if len(content) > LOGO_MAX_BYTES:
        logger.warning("Quote PDF without logo: %s is larger than %s bytes.", name, LOGO_MAX_BYTES)
        return ""
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


def _rates(quote):
    rates = []
    for entry in quote.vat_breakdown or []:
        rate, net, vat = (Decimal(entry[key]) for key in ("rate", "net", "vat"))
        rates.append({"rate": rate, "net": net, "vat": vat, "gross": net + vat})
    return rates


def context(quote, lines):
    """What the templates show: the quote with its frozen seller and buyer, the lines in order,
    the VAT per rate as Decimals, and the person the customer deals with."""
    # A draft (a preview) has no snapshots yet: today's company profile and customer.
    seller = quote.seller or seller_snapshot(CompanyProfile.current())
    buyer = quote.buyer or (buyer_snapshot(quote.deal) if quote.deal_id else {})
    sender = quote.sent_by or quote.created_by
    return {
        "quote": quote,
        "number": quote.display_number if quote.number else DRAFT[_short_language(quote)],
        "seller": seller,
        "buyer": buyer,
        "lines": lines,
        "numbered": [line for line in lines if not line.is_optional],
        "has_discount": any(line.discount_percent for line in lines),
        "has_optional": any(line.is_optional for line in lines),
        "rates": _rates(quote),
        "sender": sender,
        "sender_name": (sender.get_full_name() or sender.get_username()) if sender else "",
        "logo": _logo_data_uri(seller.get("logo", "")),
        "fonts": FONT_DIR.as_uri(),
    }


def render(quote, lines):
    """PDF bytes of `quote` with `lines` (the demo and the benchmarks pass unsaved objects)."""
    language = quote.language or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string(TEMPLATES[_short_language(quote)], context(quote, lines))
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=TEMPLATE_DIR.as_uri() + "/", url_fetcher=asset_fetcher())
    return document.write_pdf()


def render_quote_pdf(quote):
    """The PDF of a quote as it is being sent (number, seller and buyer already set)."""
    return render(quote, list(quote.lines.order_by("position", "id")))


def file_name(quote):
    """Angebot-AN-2026-0001.pdf, Quote-AN-2026-0001-R2.pdf: in the quote's language."""
    prefix = FILE_PREFIX[_short_language(quote)]
    number = quote.number and (quote.number if quote.revision == 1 else f"{quote.number}-R{quote.revision}")
    return get_valid_filename(f"{prefix}-{number or quote.pk or 'draft'}.pdf")


# --- the stored PDF ------------------------------------------------------------------------------


class QuotePdfUnavailable(QuoteError):
    """The stored PDF cannot be handed out: none yet (404), its file is gone (410), or its content
    no longer has the SHA-256 recorded when it was sent (409). Views answer with `status` and
    `message` like any other QuoteError."""

    status = 404

    def __init__(self, message, *, status, quote=None):
        super().__init__(message, quote=quote)
        self.status = status


def stored_pdf(quote):
    """The bytes of the PDF stored when `quote` was sent, verified against `quote.pdf_sha256`.
    Never renders: what was sent is what is shown, whatever changed since."""
    if not quote.pdf or not quote.pdf_sha256:
        raise QuotePdfUnavailable(
            _("This quote has no PDF yet: it is made when the quote is sent."), status=404, quote=quote
        )
    try:
        with quote.pdf.open("rb") as stored:
            content = stored.read()
    except OSError as exc:
        logger.error("The stored PDF of quote %s (%s) cannot be read: %s", quote.pk, quote.pdf.name, exc)
        raise QuotePdfUnavailable(
            _("The PDF of this quote is missing from the file storage. An administrator must restore it."),
            status=410,
            quote=quote,
        ) from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != quote.pdf_sha256:
        logger.error(
            "The stored PDF of quote %s (%s) has SHA-256 %s, not %s as sent: withheld.",
            quote.pk,
            quote.pdf.name,
            digest,
            quote.pdf_sha256,
        )
        raise QuotePdfUnavailable(
            _("The stored PDF of this quote differs from the one that was sent, so it is withheld."),
            status=409,
            quote=quote,
        )
    return content


def stored_pdf_response(quote):
    """The stored PDF as a download (for the deal page and the customer's page alike); raises
    QuotePdfUnavailable (a QuoteError with `status` 404, 409 or 410) instead of answering."""
    content = stored_pdf(quote)
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=file_name(quote), content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
