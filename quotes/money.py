"""The money of a quote: Decimal throughout, rounded half up to cents.

Each line's amount is quantity × unit price less its discount, rounded once (deals/money.py).
VAT is computed per rate on the sum of the lines' amounts at that rate, not per line, so
three lines of 10.13 € at 19 % carry 5.77 € VAT (30.39 × 19 %), not 3 × 1.92 €. With gross
prices (quotes to consumers) the amounts include VAT; the net per rate is the gross sum divided
by 1 + rate, rounded, and the VAT is the difference, so the gross total is exactly the sum of
the gross amounts the customer reads. Optional lines are shown with their amount but are in no
total.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from deals.money import CENT, HUNDRED, round_money

ZERO = Decimal("0.00")


def line_amount(*, quantity, unit_price, discount_percent=0):
    """(amount before discount, amount) of one line, each rounded half up to cents."""
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    discount = Decimal(discount_percent or 0)
    listed = round_money(quantity * unit_price)
    return listed, round_money(quantity * unit_price * (HUNDRED - discount) / HUNDRED)


@dataclass
class RateTotal:
    rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self):
        return self.net + self.vat

    def as_json(self):
        return {"rate": str(self.rate), "net": str(self.net), "vat": str(self.vat)}


@dataclass
class Totals:
    list_total: Decimal = ZERO
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO
    rates: list = field(default_factory=list)
    max_line_discount: Decimal = ZERO

    @property
    def discount(self):
        """What the discounts take off the list prices (net)."""
        return self.list_total - self.net

    @property
    def discount_percent(self):
        if not self.list_total:
            return ZERO
        return round_money(self.discount * HUNDRED / self.list_total)


def totals(lines, *, prices_gross=False):
    """The totals of `lines` (objects or dicts with quantity, unit_price, discount_percent,
    vat_rate, is_optional). `list_total` and the discount are net amounts in both modes."""
    sums, listed_sums = {}, {}
    max_discount = ZERO
    for line in lines:
        get = line.get if isinstance(line, dict) else lambda name, _line=line: getattr(_line, name)
        if get("is_optional"):
            continue
        listed, amount = line_amount(
            quantity=get("quantity"), unit_price=get("unit_price"), discount_percent=get("discount_percent")
        )
        rate = Decimal(get("vat_rate") or 0).quantize(CENT)
        sums[rate] = sums.get(rate, ZERO) + amount
        listed_sums[rate] = listed_sums.get(rate, ZERO) + listed
        max_discount = max(max_discount, Decimal(get("discount_percent") or 0))
    result = Totals(max_line_discount=max_discount)
    for rate in sorted(sums, reverse=True):
        if prices_gross:
            net = round_money(sums[rate] * HUNDRED / (HUNDRED + rate))
            vat = sums[rate] - net
            listed = round_money(listed_sums[rate] * HUNDRED / (HUNDRED + rate))
        else:
            net = sums[rate]
            vat = round_money(net * rate / HUNDRED)
            listed = listed_sums[rate]
        result.rates.append(RateTotal(rate=rate, net=net, vat=vat))
        result.list_total += listed
        result.net += net
        result.vat += vat
    result.gross = result.net + result.vat
    return result
