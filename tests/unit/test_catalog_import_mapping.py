"""The import mapping: categories from a title's head, and titles that tell products apart."""

from __future__ import annotations

import pytest

from tradewind.catalog.chorus_import import plan_titles
from tradewind.catalog.domain import categorize


@pytest.mark.parametrize(
    ("title", "category"),
    [
        # "ink" inside "ThinkBook" made this notebook a printer supply.
        ('Lenovo ThinkBook 15 Notebook Gray 39.6 cm (15.6") 1920 x 1080 pixels', "Laptops"),
        ("Kensington MicroSaver Keyed Laptop Lock", "Security locks"),
        ("Kensington SP17 Classic Laptop Sleeve", "Bags and cases"),
        ("Philips SHE9503 In-Ear Headphones", "Headphones"),  # not "Phones"
        ("Philips PC Headset SHM7110/00", "Headphones"),  # not "Desktops"
        ("ASUS ROG G15DH PC AMD Ryzen 5 16 GB DDR4-SDRAM 1512 GB HDD+SSD", "Desktops"),
        ("HP 83 Original Black 1 pc(s)", "Other electronics"),  # a pack count, not a PC
        ("Brother Drum for Laser Printer printer drum Original", "Printer supplies"),
        ("Sandberg FireWire for Laptop (3 ports)", "Other electronics"),
        ("HP Inkjet printer 123", "Printers"),
        ("Duracell Plus 9V Single-use battery Alkaline", "Batteries and power"),
        # A generic "PC" after the kind: the kind names it ("ends last" made these desktops).
        ('HP Compaq 6530b Notebook PC 35.8 cm (14.1") 1440 x 900 pixels', "Laptops"),
        ("Lenovo ThinkPad X61 Tablet PC", "Tablets"),
        ("HP Compaq dc7900 Convertible Minitower PC", "Desktops"),
        # Counts of pieces anywhere, not only at the end ("2000 pcs." is no PC).
        ("HERMA Computer labels 101.6x48.4 mm yellow paper matt 2000 pcs.", "Other electronics"),
        ("Castorland 1000 pcs Jigsaw puzzle 1000 pc(s)", "Other electronics"),
    ],
)
def test_categories_come_from_whole_words_at_the_head_of_the_title(
    title: str, category: str
) -> None:
    assert categorize(title).category == category


def test_product_type_names_the_category_first() -> None:
    assert categorize("Acme Z100 Black", "Notebook").category == "Laptops"
    assert categorize("Acme Z100 Black").category == "Other electronics"


def _record(source_id: int, title: str, **extra: object) -> dict[str, object]:
    return {"id": source_id, "supplier": "Canon", "title": title, "name": "C-EXV 8", **extra}


def test_regional_copies_of_one_product_are_imported_once() -> None:
    records = [
        _record(20, "Canon C-EXV 8", short_description="Toner", ean=["4960999181141"]),
        _record(10, "Canon C-EXV 8", short_description="Toner", ean=["4960999181110"]),
        _record(30, "Canon Other"),
    ]
    titles, repeats = plan_titles(records)
    assert (titles, repeats) == ({}, {"20"})  # the lowest id stays, its title untouched


def test_products_sharing_a_title_get_what_tells_them_apart() -> None:
    records = [
        _record(1, "Canon C-EXV 8 Original", short_description="40000 pages, Magenta"),
        _record(2, "Canon C-EXV 8 Original", short_description="40000 pages, Yellow"),
        _record(3, "Canon C-EXV 8 Original", attr_t_product_colour="Cyan"),
        _record(4, "Canon C-EXV 8 Original", ean=["4960999181202"], name="C-EXV 8 bk"),
    ]
    titles, repeats = plan_titles(records)
    assert repeats == set()
    assert titles == {
        "1": "Canon C-EXV 8 Original, 40000 pages, Magenta",
        "2": "Canon C-EXV 8 Original, 40000 pages, Yellow",
        "3": "Canon C-EXV 8 Original, Cyan",
        "4": "Canon C-EXV 8 Original, EAN 4960999181202",
    }


def test_titles_that_differ_only_in_case_are_one_title_to_a_buyer() -> None:
    records = [
        _record(1, "APC Netbotz 320 Wall Appliance", short_description="With Camera"),
        _record(2, "APC NetBotz 320 Wall Appliance"),
        _record(3, "OKI Type C7 Original Black", short_description="C9600 toner"),
        _record(4, "OKI Type C7 Original black", short_description="C9650 Toner"),
        _record(5, "HP Hot swap tray", short_description="Tray"),
        _record(6, "HP Hot Swap  Tray", short_description="tray"),  # one product: same text
    ]
    titles, repeats = plan_titles(records)
    assert repeats == {"6"}
    assert titles == {
        "1": "APC Netbotz 320 Wall Appliance, With Camera",
        "2": "APC NetBotz 320 Wall Appliance, EAN 2",
        "3": "OKI Type C7 Original Black, C9600 toner",
        "4": "OKI Type C7 Original black, C9650 Toner",
    }
