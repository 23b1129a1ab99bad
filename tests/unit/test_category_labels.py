"""Every catalog category has a label the listing form can translate, and no label is stale."""

from tradewind.catalog.domain import CATEGORY_RULES, DEFAULT_CATEGORY
from tradewind.web.pages.seller_listings import CATEGORY_LABELS


def test_every_category_has_exactly_one_label() -> None:
    names = {rule.category for rule in CATEGORY_RULES} | {DEFAULT_CATEGORY.category}
    assert set(CATEGORY_LABELS) == names
    assert all(CATEGORY_LABELS[name] == name for name in names)
