"""The money of quotes: cents rounded half up per line, VAT per rate on the summed nets."""

from decimal import Decimal

import pytest

from quotes import money

D = Decimal


def line(quantity, price, discount=0, rate=19, optional=False):
    return {
        "quantity": D(str(quantity)),
        "unit_price": D(str(price)),
        "discount_percent": D(str(discount)),
        "vat_rate": D(str(rate)),
        "is_optional": optional,
    }


def test_three_times_ten_thirteen_at_19_percent_rounds_the_vat_of_the_sum():
    result = money.totals([line(3, "10.13")])
    assert (result.net, result.vat, result.gross) == (D("30.39"), D("5.77"), D("36.16"))


def test_three_lines_of_ten_thirteen_carry_the_vat_of_their_sum_not_the_sum_of_their_vats():
    result = money.totals([line(1, "10.13")] * 3)
    # Per line: 1.9247 → 1.92, three times 5.76. Per rate on 30.39: 5.7741 → 5.77.
    assert (result.net, result.vat, result.gross) == (D("30.39"), D("5.77"), D("36.16"))


def test_three_times_thirty_three_thirty_three_less_ten_percent_rounds_the_line_once():
    listed, amount = money.line_amount(quantity=3, unit_price=D("33.33"), discount_percent=10)
    assert (listed, amount) == (D("99.99"), D("89.99"))  # 89.991
    result = money.totals([line(3, "33.33", discount=10)])
    assert (result.list_total, result.net, result.vat, result.gross) == (
        D("99.99"),
        D("89.99"),
        D("17.10"),  # 17.0981
        D("107.09"),
    )
    assert result.discount == D("10.00")
    assert result.discount_percent == D("10.00")


def test_mixed_rates_are_summed_and_taxed_per_rate():
    result = money.totals(
        [line(2, "19.99"), line(1, "5.05", rate=7), line(3, "0.35", rate=7), line(1, "12.50", rate=0)]
    )
    by_rate = {rate.rate: (rate.net, rate.vat) for rate in result.rates}
    assert by_rate == {
        D("19.00"): (D("39.98"), D("7.60")),  # 7.5962
        D("7.00"): (D("6.10"), D("0.43")),  # 0.427
        D("0.00"): (D("12.50"), D("0.00")),
    }
    assert [rate.rate for rate in result.rates] == [D("19.00"), D("7.00"), D("0.00")]
    assert (result.net, result.vat, result.gross) == (D("58.58"), D("8.03"), D("66.61"))


def test_half_a_cent_rounds_up():
    assert money.line_amount(quantity=1, unit_price=D("0.05"), discount_percent=50)[1] == D("0.03")  # 0.025
    assert money.totals([line(1, "0.50", rate=7)]).vat == D("0.04")  # 0.035


def test_optional_lines_are_in_no_total():
    result = money.totals([line(1, "100"), line(5, "1000", optional=True)])
    assert (result.list_total, result.net, result.gross) == (D("100.00"), D("100.00"), D("119.00"))


def test_gross_prices_give_the_customer_the_exact_gross_sum_and_take_the_vat_out_of_it():
    # A consumer quote: 3 × 11.90 € gross at 19 % and 1 × 2.14 € at 7 %.
    result = money.totals([line(3, "11.90"), line(1, "2.14", rate=7)], prices_gross=True)
    assert result.gross == D("37.84")  # 35.70 + 2.14, what the customer reads
    by_rate = {rate.rate: (rate.net, rate.vat) for rate in result.rates}
    assert by_rate == {D("19.00"): (D("30.00"), D("5.70")), D("7.00"): (D("2.00"), D("0.14"))}
    assert result.net == D("32.00")


@pytest.mark.parametrize(
    ("discount", "expected"),
    [(0, D("0.00")), (D("12.5"), D("12.50")), (100, D("100.00"))],
)
def test_the_overall_discount_is_measured_against_list_prices(discount, expected):
    result = money.totals([line(4, "250", discount=discount), line(1, "0.00")])
    assert result.discount_percent == expected
    assert result.max_line_discount == D(str(discount))


def test_no_lines_have_no_totals():
    result = money.totals([])
    assert (result.net, result.vat, result.gross, result.discount_percent) == (0, 0, 0, 0)
