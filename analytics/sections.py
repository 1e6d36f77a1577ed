"""What a dashboard chart is made of: its columns and one Section holding the table rows, the chart
data and the explanation, so that the table, the chart and the CSV come from the same rows."""

import json
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
    # Drill-down: {(row index, column index): url} of the table cells, and per chart dataset the url
    # of each bar (None: no deals behind it), so every figure opens the deals it counts.
    cell_links: dict = field(default_factory=dict)
    chart_links: list = field(default_factory=list)
    # A choice between views of the same figures (e.g. weekly or monthly): {"name": the query
    # parameter, "value": the current one, "options": [(value, label, url), …]}.
    switch: dict = field(default_factory=dict)

    @property
    def chart_id(self):
        return f"chart-{self.name}"

    @property
    def chart_links_json(self):
        """The bars' drill-down URLs for the canvas's data-links (read by static/js/dashboard.js)."""
        return json.dumps(self.chart_links) if self.chart_links else ""
