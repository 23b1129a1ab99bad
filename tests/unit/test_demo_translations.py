"""The demo catalog's hand-written Hebrew and Chinese titles: coverage and form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tradewind.catalog.chorus_import import most_offered, read_products
from tradewind.config import Settings
from tradewind.seed import TRANSLATIONS_FILE, read_translations

HEBREW = re.compile("[\u05d0-\u05ea]")
HAN = re.compile("[\u4e00-\u9fff]")


def test_every_row_has_both_languages_once() -> None:
    lines = TRANSLATIONS_FILE.read_text(encoding="utf-8").splitlines()
    rows = read_translations()
    assert len(rows) == len(lines) - 1 == 300  # one row per product, header aside
    for ref, texts in rows.items():
        assert ref.startswith("chorus:")
        assert HEBREW.search(texts["he"][0]), ref
        assert HAN.search(texts["zh"][0]), ref
        assert "\u200f" not in texts["he"][0]  # pages isolate direction, not the data


@pytest.fixture(scope="module")
def chorus() -> list[dict[str, object]]:
    folder = Settings().chorus_path
    assert Path(folder).is_dir(), f"the Chorus catalog is expected at {folder}"
    return list(read_products(Path(folder)))


def test_the_most_offered_products_are_all_translated(chorus: list[dict[str, object]]) -> None:
    translated = {ref.removeprefix("chorus:") for ref in read_translations()}
    assert set(most_offered(chorus, 300)) == translated


def test_brands_stay_in_latin(chorus: list[dict[str, object]]) -> None:
    brands = {str(r["id"]): str(r["title"]).split()[0].lower() for r in chorus}
    for ref, texts in read_translations().items():
        brand = brands[ref.removeprefix("chorus:")]
        for language, (title, _) in texts.items():
            assert brand in title.lower(), (ref, language, brand)
