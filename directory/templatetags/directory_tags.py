from django import template

from customers import phones

register = template.Library()


@register.filter
def phone_national(value):
    """A stored (E.164) number as it reads at home: "+49301234567" → "030 1234567"."""
    return phones.national(value)
