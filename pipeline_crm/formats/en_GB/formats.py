"""British English as the product writes it: one date format (25/10/2026), one date-and-time
format on a 24-hour clock (25/10/2026 14:30), and a thousands separator (docs/translations.md).
Django's own en_GB formats fill in the rest."""

DATE_FORMAT = "j M Y"  # 25 Oct 2026
DATETIME_FORMAT = "j M Y, H:i"  # 25 Oct 2026, 14:30
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"  # 25/10/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 25/10/2026 14:30
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
