"""`{% board_cards deals %}`: the cards of a column through deals.cards.CardRenderer, built
once per template render (URLs, translations, formats) and shared by every column;
`{% deal_quote deal %}`: the same quote icon in the deal list."""

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from deals import quote_signal
from deals.cards import CardRenderer, QuoteSignal

register = template.Library()


@register.simple_tag(takes_context=True)
def board_cards(context, deals):
    # The bottom of the render context lives as long as this render (every partial pushes a
    # state of its own on top), as for {% include %}'s template cache.
    shared = context.render_context.dicts[0]
    renderer = shared.get(CardRenderer)
    if renderer is None:
        renderer = CardRenderer(board_query=context.get("board_query", ""), csrf_token=context.get("csrf_token"))
        shared[CardRenderer] = renderer
    return renderer.cards(deals)


@register.simple_tag(takes_context=True)
def deal_quote(context, deal):
    """The deal list's quote column: the board card's quote icon, from the row's `quote_data`."""
    shared = context.render_context.dicts[0]
    draw = shared.get(QuoteSignal)
    if draw is None:
        draw = shared[QuoteSignal] = QuoteSignal()
        shared["quote_today"] = timezone.localdate()
    badge = quote_signal.quote_badge(getattr(deal, "quote_data", None), shared["quote_today"])
    return SafeString(draw(badge))
