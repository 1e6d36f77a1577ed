"""Money arithmetic of line items: Decimal throughout, each amount rounded half up to cents.

A line's net is quantity × unit price less the discount, rounded once; its VAT is the rounded
net × rate, rounded; its gross is net + VAT. Totals are sums of the rounded line amounts, so a
total always equals the sum of the lines a reader sees.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# The VAT rates offered first in the line item form (German standard and reduced rate, none);
# any rate from 0 to 100 % is accepted.
COMMON_VAT_RATES = (Decimal("19"), Decimal("7"), Decimal("0"))


def round_money(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(*, quantity, unit_price, discount_percent=0, vat_rate=0):
    """(net, vat, gross) of one line, each rounded half up to cents."""
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    discount, rate = Decimal(discount_percent or 0), Decimal(vat_rate or 0)
    net = round_money(quantity * unit_price * (HUNDRED - discount) / HUNDRED)
    vat = round_money(net * rate / HUNDRED)
    return net, vat, net + vat
