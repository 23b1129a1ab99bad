"""A small generated catalog for demos without the Chorus data beside the repository."""

from __future__ import annotations

from typing import Any

from tradewind.catalog.chorus_import import ImportReport, import_records
from tradewind.catalog.domain import gtin_check_digit
from tradewind.db.uow import UnitOfWorkFactory

KINDS = (
    ("Notebook", 'Laptop {brand} Aero {n} 14" 16 GB 512 GB SSD', 89900, 1400),
    ("Headphones", "{brand} Wireless Headphones NC{n} Bluetooth", 12900, 250),
    ("Speaker", "{brand} Portable Bluetooth Speaker Boom {n}", 5900, 600),
    ("Storage", "{brand} Portable SSD {n} 1 TB USB-C", 9900, 60),
    ("Monitor", '{brand} 27" 4K Monitor UltraView {n}', 32900, 5200),
    ("Phone", "{brand} Smartphone Nova {n} 128 GB", 49900, 190),
    ("Keyboard", "{brand} Mechanical Keyboard K{n}", 7900, 900),
    ("Camera", "{brand} Mirrorless Camera Z{n} Kit", 99900, 700),
)
BRANDS = ("Acme", "Northwind", "Contoso", "Fabrikam", "Tailspin")
COUNT = 200


def generated_records() -> list[dict[str, Any]]:
    records = []
    for i in range(COUNT):
        kind, template, base_cents, weight_g = KINDS[i % len(KINDS)]
        brand = BRANDS[(i // len(KINDS)) % len(BRANDS)]
        body = f"20{i:010d}"
        records.append(
            {
                "id": f"gen{i:05d}",
                "name": f"{brand[:3].upper()}-{i:04d}",
                "title": template.format(brand=brand, n=100 + i),
                "supplier": brand,
                "ean": [body + str(gtin_check_digit(body))],
                "short_description": f"A {kind.lower()} from {brand} for the Tradewind demo.",
                "price": base_cents + (i * 137) % 5000,
                "attr_t_product_type": kind,
                "attr_n_weight": weight_g,
            }
        )
    return records


def import_generated(uow_factory: UnitOfWorkFactory) -> ImportReport:
    return import_records(uow_factory, generated_records(), ImportReport(), source="generated")
