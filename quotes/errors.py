"""What the quote services refuse; `status` is the HTTP status a view answers with."""


class QuoteError(Exception):
    """A change the rules refuse; `status` is the HTTP status a view answers with."""

    status = 400

    def __init__(self, message, *, quote=None):
        super().__init__(message)
        self.message = message
        self.quote = quote


class QuoteForbidden(QuoteError):
    status = 403


class QuoteConflict(QuoteError):
    """The quote is no longer in the state the change needs (somebody else was quicker)."""

    status = 409
