"""The dashboard's figures in the reader's language: percentages, money and numbers in German
("66,7 %", "4.500 EUR") and in English ("66.7 %", "4,500 EUR"), and the language handed to the
charts (data-locale) so that their axes and tooltips follow it."""

import pytest
from django.urls import reverse

URL = reverse("analytics:dashboard")


@pytest.fixture
def outcomes(history, rep, stages):
    """Two won (3,000 and 6,000) and one lost deal: win rate 66.7 %, average size 4,500."""
    history.deal(owner=rep, steps=[(40, stages[0])], value="3000", outcome=("won", 5))
    history.deal(owner=rep, steps=[(40, stages[0])], value="6000", outcome=("won", 5))
    history.deal(owner=rep, steps=[(40, stages[0])], value="1234567", outcome=("lost", 5))


@pytest.mark.parametrize(
    ("language", "locale", "win_rate", "size", "cycle", "lost_value"),
    [
        ("en-gb", "en-gb", "66.7 %", "4,500 EUR", "35.0", "1,234,567 EUR"),
        ("de", "de", "66,7 %", "4.500 EUR", "35,0", "1.234.567 EUR"),
    ],
)
def test_the_dashboard_formats_figures_in_the_readers_language(
    outcomes, client, admin, language, locale, win_rate, size, cycle, lost_value
):
    client.force_login(admin)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'data-testid="kpi-win-rate">{win_rate}<' in page
    assert f'data-testid="kpi-average-size">{size}<' in page
    assert f">{cycle}<" in page
    assert f">{lost_value}<" in page
    assert f'data-locale="{locale}"' in page
    assert 'data-currency="EUR"' in page


@pytest.mark.parametrize(("language", "total"), [("en-gb", "9,000 EUR"), ("de", "9.000 EUR")])
def test_the_drill_down_total_is_formatted_too(outcomes, client, admin, language, total):
    client.force_login(admin)
    page = client.get(reverse("analytics:drilldown"), {"metric": "won"}, HTTP_ACCEPT_LANGUAGE=language)
    assert f'data-testid="drill-total">{total}<' in page.content.decode()
