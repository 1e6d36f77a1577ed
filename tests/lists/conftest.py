"""The deal fixtures of tests/deals, for the deal list."""

from tests.deals.conftest import bulk_deals  # noqa: F401
