"""What a dashboard chart is made of: its columns and one Section holding the table rows, the chart
data and the explanation, so that the table, the chart and the CSV come from the same rows."""

from dataclasses import dataclass, field


@dataclass
class Column:
    label: str
    kind: str = "text"  # text, int, money, percent, days


@dataclass
class Section:
    """One chart with its table: the same rows feed the table, the chart and the CSV."""

    name: str
    title: str
    explanation: str
    columns: list
    rows: list = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    note: str = ""
    highlight: list = field(default_factory=list)
    link: tuple | None = None  # (url, label) of a related page, e.g. where to act on the numbers

    @property
    def chart_id(self):
        return f"chart-{self.name}"
