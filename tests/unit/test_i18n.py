"""Language negotiation, gettext bound per context, and the catalogs' completeness."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from tradewind.cli import catalogs
from tradewind.kernel import i18n
from tradewind.web import locale


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("he_IL", "he"),
        ("he", "he"),
        ("iw", "he"),
        ("zh-CN", "zh_Hans"),
        ("zh_Hans_SG", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("en_GB", "en"),
        ("ja_JP", None),
        ("not a tag", None),
    ],
)
def test_language_of(tag: str, language: str | None) -> None:
    assert locale.language_of(tag) == language


def test_accepted_languages_orders_by_quality_and_ignores_junk() -> None:
    header = "fr;q=0.3, he-IL, en;q=0.7, *;q=0.1, x!;q=1, de;q=0, ja;q=abc"
    assert locale.accepted_languages(header) == ["he-IL", "en", "fr"]  # "*": the default


@pytest.mark.parametrize(
    ("account", "cookie", "header", "chosen"),
    [
        ("he_IL", "zh_Hans", "en-US", "he"),  # the account's setting first
        ("ja_JP", "zh_Hans", "he", "zh_Hans"),  # an account language we lack: the cookie
        (None, None, "de-DE, zh-CN;q=0.9, he;q=0.8", "zh_Hans"),  # first supported in header
        (None, "xx", "", "en"),  # nothing usable: the default
    ],
)
def test_negotiate_language(
    account: str | None, cookie: str | None, header: str, chosen: str
) -> None:
    assert locale.negotiate_language(account, cookie, header) == chosen


@pytest.mark.parametrize(
    ("country", "zone"),
    [("IL", "Asia/Jerusalem"), ("CN", "Asia/Shanghai"), ("US", "America/New_York"), ("QQ", "UTC")],
)
def test_zone_for_country(country: str, zone: str) -> None:
    assert locale.zone_for_country(country) == zone


def test_gettext_follows_the_context_language() -> None:
    assert i18n.gettext("Cart") == "Cart"
    with i18n.use_language("he"):
        assert i18n.gettext("Cart") == "עגלת קניות"
        with i18n.use_language("zh_Hans"):
            assert i18n._("Cart") == "购物车"
        assert i18n.current_language() == "he"
    with i18n.use_language("klingon"):
        assert i18n.current_language() == "en"
    assert i18n.current_language() == "en"


def test_plural_forms_per_language() -> None:
    singular = "Too many failed attempts; try again in %(num)d second."
    plural = "Too many failed attempts; try again in %(num)d seconds."
    with i18n.use_language("he"):
        assert i18n.ngettext(singular, plural, 1) % {"num": 1} == (
            "יותר מדי ניסיונות כושלים. נסו שוב בעוד שנייה."
        )
        assert i18n.ngettext(singular, plural, 30) % {"num": 30} == (
            "יותר מדי ניסיונות כושלים. נסו שוב בעוד 30 שניות."
        )
    with i18n.use_language("zh_Hans"):
        assert i18n.ngettext(singular, plural, 30) % {"num": 30} == "失败次数过多，请 30 秒后重试。"


def test_pseudo_language_marks_every_message() -> None:
    with i18n.use_language(i18n.PSEUDO_LANGUAGE):
        assert i18n._("Cart") == "⟦Cart⟧"


def test_catalogs_are_current_and_fully_translated() -> None:
    """Fails when a string was added without ``tradewind i18n update``, or lacks he/zh."""
    assert catalogs.check() == []


def test_stats_are_complete_for_hebrew_and_chinese() -> None:
    shares = {row.language: row.percent for row in catalogs.stats()}
    assert shares["he"] == 100.0
    assert shares["zh_Hans"] == 100.0


def test_shop_words_read_as_israeli_and_chinese_shops_say_them() -> None:
    """One word per thing across each catalog: the cart is עגלת קניות (never סל), VAT מע״מ
    with gershayim, the tracking number 运单号; coupons 优惠码, used up 已用完 (领完 is claimed)."""
    texts = {}
    for language in ("he", "zh_Hans"):
        with i18n.catalog_path(language).open("rb") as f:
            catalog = read_po(f, locale=language)
        texts[language] = "\n".join(
            s
            for m in catalog
            if m.id
            for s in ([m.string] if isinstance(m.string, str) else m.string)
        )
    assert re.findall(r"\S*סל\b", texts["he"]) == []
    assert 'מע"מ' not in texts["he"]
    assert "מע״מ" in texts["he"]
    assert re.findall(r"追踪号|跟踪号|优惠券代码|领完", texts["zh_Hans"]) == []
    with i18n.use_language("he"):
        assert i18n.gettext("Add to cart") == "הוספה לעגלה"
        assert i18n.gettext("Your cart was updated.") == "עגלת הקניות עודכנה."
        assert i18n.gettext("Shop") == "חנות"  # a column of shops, not the seller's own
        assert i18n.gettext("My shop") == "החנות שלי"
    with i18n.use_language("zh_Hans"):
        assert i18n.gettext("Tracking number") == "运单号"
        assert i18n.gettext("Postage") == "运费"
        assert i18n.gettext("duty") == "关税"
