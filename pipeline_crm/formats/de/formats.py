"""German as the product writes it: 25.10.2026, 25.10.2026 14:30, 1.234,50 (docs/translations.md).
Django's own de formats fill in the rest."""

DATE_FORMAT = "j. F Y"  # 25. Oktober 2026
DATETIME_FORMAT = "j. F Y H:i"  # 25. Oktober 2026 14:30
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d.m.Y"  # 25.10.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 25.10.2026 14:30
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
