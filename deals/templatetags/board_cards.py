"""`{% board_cards deals %}`: the cards of a column through deals.cards.CardRenderer, built
once per template render (URLs, translations, formats) and shared by every column."""

from django import template

from deals.cards import CardRenderer

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
