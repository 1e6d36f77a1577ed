"""The quote's PDF (WeasyPrint). Placeholder interface, replaced by the renderer."""


def file_name(quote):
    return f"{quote.display_number}.pdf"


def render_quote_pdf(quote):
    raise NotImplementedError
