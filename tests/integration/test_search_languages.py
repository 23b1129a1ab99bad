"""Product content in several languages and search in every language, on both databases.

A product keeps its seller's original (``products.language``) and translations
(``product_texts``); search indexes them all. Hebrew matches with or without attached prefixes
and niqqud; Chinese through character bigrams; brand and model codes are Latin in every
language, so a query in one language finds products that only have another.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.integration.test_search_api import _product
from tradewind.bootstrap import Container
from tradewind.catalog import texts
from tradewind.db.tables.catalog import product_texts
from tradewind.search import service as search

pytestmark = pytest.mark.integration

HEBREW = "כבל USB-C לטעינה מהירה לטלפון"
CHINESE = "安克 USB-C 快充数据线 1米"


@pytest.fixture
def shelf(container: Container) -> dict[str, str]:
    with container.uow() as uow:
        ids = {
            "cable": _product(
                uow, "Anker PowerLine III USB-C cable 1 m", "Anker", "PowerLine III", "Cables"
            ),
            "ssd": _product(uow, "Samsung 870 EVO 1TB SSD", "Samsung", "870 EVO", "Storage"),
            "charger": _product(uow, "Belkin BoostCharge 20W charger", "Belkin", "WCA003", "Power"),
        }
        texts.write_texts(
            uow.conn,
            ids["cable"],
            {"he": (HEBREW, "כבל קלוע ועמיד"), "zh": (CHINESE, "编织线材，耐用")},
        )
        texts.write_texts(uow.conn, ids["charger"], {"he": ("מטען מהיר 20W", "")})
        search.reindex_all(uow)
        uow.commit()
    return ids


def _found(client: TestClient, shelf: dict[str, str], q: str, **params: Any) -> list[str]:
    names = {v: k for k, v in shelf.items()}
    response = client.get("/api/v1/search", params={"q": q, "facets": "false", **params})
    assert response.status_code == 200, response.text
    return [names[item["product_id"]] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "q",
    [
        "כבל",
        "הכבל",  # "the cable"
        "וכבל",  # "and a cable"
        "כֶּבֶל",  # with niqqud
        "טעינה",  # the title has it as "לטעינה" ("for charging")
        "בטלפון",  # the title has "לטלפון": both prefixes come off
    ],
)
def test_hebrew_matches_with_prefixes_and_without_niqqud(
    client: TestClient, shelf: dict[str, str], q: str
) -> None:
    assert _found(client, shelf, q) == ["cable"]


@pytest.mark.parametrize("q", ["数据线", "快充", "快充数据线", "安克数据线"])
def test_chinese_matches_through_character_bigrams(
    client: TestClient, shelf: dict[str, str], q: str
) -> None:
    assert _found(client, shelf, q) == ["cable"]


def test_a_brand_or_model_finds_products_that_only_have_another_language(
    client: TestClient, shelf: dict[str, str]
) -> None:
    # No product has Chinese text for "solid state drive"; the Latin brand still matches.
    assert _found(client, shelf, "Samsung 固态硬盘") == ["ssd"]
    assert _found(client, shelf, "870 EVO כונן") == ["ssd"]
    # Each matches one word: the charger its brand, the cable its Hebrew title.
    assert sorted(_found(client, shelf, "Belkin כבל")) == ["cable", "charger"]
    assert _found(client, shelf, "Anker מהירה") == ["cable"]


def test_titles_are_shown_in_the_buyers_language_with_the_original_kept(
    client: TestClient, shelf: dict[str, str]
) -> None:
    response = client.get("/api/v1/search", params={"q": "anker", "lang": "he"})
    hit = response.json()["items"][0]
    assert (hit["title"], hit["title_language"]) == (HEBREW, "he")
    assert (hit["original_title"], hit["original_language"]) == (
        "Anker PowerLine III USB-C cable 1 m",
        "en",
    )
    german = client.get("/api/v1/search", params={"q": "anker", "lang": "de"}).json()["items"][0]
    assert (german["title"], german["title_language"]) == (german["original_title"], "en")
    detail = client.get(f"/api/v1/products/{shelf['cable']}", params={"lang": "zh"}).json()
    assert detail["shown"] == {"language": "zh", "title": CHINESE, "description": "编织线材，耐用"}
    assert detail["translations"]["he"] == {"title": HEBREW, "description": "כבל קלוע ועמיד"}


def test_the_product_page_shows_the_translation_and_the_original(
    client: TestClient, shelf: dict[str, str]
) -> None:
    page = client.get(f"/products/{shelf['cable']}", headers={"accept-language": "he-IL,he;q=0.9"})
    assert f'<h1 id="product-title" lang="he" dir="auto">{HEBREW}</h1>' in page.text
    assert "Anker PowerLine III USB-C cable 1 m</p></details>" in page.text
    english = client.get(f"/products/{shelf['cable']}", headers={"accept-language": "en"})
    assert '<h1 id="product-title" lang="en" dir="auto">Anker PowerLine III' in english.text
    assert "<details" not in english.text.split('id="product-title"')[1].split("</article>")[0]


def test_fallback_chain_requested_then_own_then_english() -> None:
    original = ("原标题", "原描述")
    chosen = texts.choose_text("he", "zh", original, {"en": ("English", "In English")})
    assert (chosen.title, chosen.title_language, chosen.description) == ("原标题", "zh", "原描述")
    no_description = texts.choose_text("he", "zh", ("原标题", ""), {"en": ("English", "Desc")})
    assert no_description.description == "Desc"  # own has none: English next
    hebrew = texts.choose_text("he", "zh", original, {"he": ("עברית", "")})
    assert (hebrew.title, hebrew.description, hebrew.translated) == ("עברית", "原描述", True)


def test_bad_translations_are_refused_and_nothing_is_written(
    client: TestClient, container: Container, shelf: dict[str, str]
) -> None:
    with container.uow() as uow:
        before = uow.conn.scalar(select(func.count()).select_from(product_texts))
        for bad in (
            [texts.ProductTextIn("xx", "t")],
            [texts.ProductTextIn("en", "same as the original")],
            [texts.ProductTextIn("he", "")],
            [texts.ProductTextIn("he", "a"), texts.ProductTextIn("he", "b")],
            [texts.ProductTextIn("zh", "line\nbreak")],
        ):
            with pytest.raises(texts.InvalidInput):
                texts.validate_texts("en", bad)
        after = uow.conn.scalar(select(func.count()).select_from(product_texts))
    assert before == after == 3
    response = client.get("/api/v1/search", params={"q": "anker", "lang": "xx"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("q", "corrected"),
    [
        ("הכבל", "כבל"),  # no product has "the cable": its base stood in
        ("בטלפון", "טלפון"),
        ("Anker הכבל", "anker כבל"),
        ("כבל", None),  # found as typed
        ("טעינה", None),  # indexed as a base of "לטעינה": found as typed
    ],
)
def test_a_stripped_hebrew_prefix_is_reported_as_a_correction(
    client: TestClient, shelf: dict[str, str], q: str, corrected: str | None
) -> None:
    response = client.get("/api/v1/search", params={"q": q, "facets": "false"})
    assert response.json()["corrected"] == corrected
