"""The quote PDFs a rep may attach to an e-mail about a deal (registered with mail.attachments):
the deal's quotes that have a stored PDF (sent, answered or expired), newest first."""

from django.utils.translation import gettext as _

from quotes import pdf as quote_pdf
from quotes.models import Quote


class QuotePdfs:
    key = "quote"

    def _quotes(self, deal):
        return Quote.objects.filter(deal=deal).exclude(pdf="").order_by("-pk")

    def options(self, *, user, deal):
        return [
            (str(quote.pk), _("Quote PDF %(number)s") % {"number": quote.display_number})
            for quote in self._quotes(deal)
        ]

    def file(self, *, user, deal, id):
        quote = self._quotes(deal).filter(pk=id).first() if str(id).isdigit() else None
        if quote is None:
            return None
        with quote.pdf.open("rb") as stored:
            return (quote_pdf.file_name(quote), "application/pdf", stored.read())
