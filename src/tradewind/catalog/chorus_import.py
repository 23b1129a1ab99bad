"""Bulk import of the Chorus electronics catalog (Icecat data) with demo sellers and offers.

Deterministic and idempotent: products are keyed by ``source_ref`` ("chorus:<id>"), sellers by
their account email, offers by (seller, product, condition); a second run inserts nothing.
Offers are spread over the sellers by a hash of the product id, so every run (and every
machine) produces the same marketplace.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from sqlalchemy import select

from tradewind.catalog.domain import is_valid_gtin
from tradewind.catalog.service import NewProduct, product_values
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.kernel.errors import InvalidInput
from tradewind.kernel.ids import new_id
from tradewind.money.rounding import round_to_minor

CHUNK = 1000
DEFAULT_WEIGHT_G = 500
SOURCE = "chorus"
MAX_ATTRIBUTES = 60


@dataclass(frozen=True, slots=True)
class DemoSeller:
    email: str
    name: str
    country: str
    currency: str
    city: str

    @property
    def locale(self) -> str:
        """The shop owner's language and formats: Chinese shops see the seller center in
        Chinese, Israeli ones in Hebrew."""
        return {"CN": "zh_CN", "IL": "he_IL", "DE": "de_DE"}.get(self.country, "en")


DEMO_SELLERS = (
    DemoSeller("shop.shenzhen@tradewind.test", "Shenzhen Parts Co", "CN", "CNY", "Shenzhen"),
    DemoSeller("shop.yiwu@tradewind.test", "Yiwu Direct", "CN", "CNY", "Yiwu"),
    DemoSeller("shop.telaviv@tradewind.test", "Tel Aviv Tech", "IL", "ILS", "Tel Aviv"),
    DemoSeller("shop.austin@tradewind.test", "Austin Gadgets", "US", "USD", "Austin"),
    DemoSeller("shop.berlin@tradewind.test", "Berlin Elektronik", "DE", "EUR", "Berlin"),
    DemoSeller("shop.tokyo@tradewind.test", "Akihabara Select", "JP", "JPY", "Tokyo"),
    DemoSeller("shop.kuwait@tradewind.test", "Kuwait Digital", "KW", "KWD", "Kuwait City"),
    DemoSeller("shop.london@tradewind.test", "London Components", "GB", "GBP", "London"),
)

# Demo reference rates, units per 1 USD (November 2026 ballpark). Only the demo uses these;
# real deployments publish operator FX quotes.
UNITS_PER_USD = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "ILS": Decimal("3.70"),
    "CNY": Decimal("7.20"),
    "JPY": Decimal("150"),
    "KWD": Decimal("0.307"),
    "GBP": Decimal("0.79"),
}


@dataclass
class ImportReport:
    files: int = 0
    products_seen: int = 0
    products_created: int = 0
    offers_created: int = 0
    invalid_eans: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    duplicates_merged: int = 0  # regional copies of a product already imported (same text)
    titles_disambiguated: int = 0


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def read_products(folder: Path) -> Iterator[dict[str, Any]]:
    files = sorted(folder.glob("*.json.zip")) + sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no *.json.zip or *.json files in {folder}")
    for path in files:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield from json.loads(archive.read(name))
        else:
            yield from json.loads(path.read_text())


@cache
def _country_codes() -> dict[str, str]:
    names = Locale("en").territories
    return {str(name).lower(): str(code) for code, name in names.items() if len(code) == 2}


def _country(raw: Any) -> str:
    if isinstance(raw, str):
        return _country_codes().get(raw.strip().lower(), "CN")
    return "CN"


def _int(raw: Any, default: int) -> int:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw > 0:
        return max(1, int(raw))
    return default


MAX_TITLE_SUFFIX_CHARS = 80


def _folded(text: Any) -> str:
    """Case and spacing folded: "NetBotz 320" and "Netbotz  320" read the same to a buyer."""
    return " ".join(str(text or "").lower().split())


def _text_key(raw: dict[str, Any]) -> tuple[str, str]:
    return (_folded(raw.get("supplier")), _folded(raw.get("title")))


def _variant_key(raw: dict[str, Any]) -> tuple[str, str, str]:
    return (
        _folded(raw.get("name")),
        _folded(raw.get("short_description")),
        _folded(raw.get("attr_t_product_colour")),
    )


def _suffix(raw: dict[str, Any], title: str) -> str:
    """What tells this record apart from others with its title: description, colour, EAN."""
    description = " ".join(str(raw.get("short_description") or "").split())
    if description and description.lower() not in title.lower():
        cut = description[:MAX_TITLE_SUFFIX_CHARS]
        if len(description) > MAX_TITLE_SUFFIX_CHARS:
            cut = cut.rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
        return cut
    colour = str(raw.get("attr_t_product_colour") or "")
    return colour or f"EAN {(raw.get('ean') or [raw['id']])[0]}"


def plan_titles(records: list[dict[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """Titles that tell products apart, and the records that repeat a product already there.

    Icecat publishes one record per regional SKU: several records (different EANs) can carry
    the same brand, title, model name and description, which is one product to a buyer; the
    first (lowest id) is kept and the others are skipped, so one product is listed once. Records
    that share a title but differ (colours, capacities, "40000 pages, Magenta") get the detail
    that differs appended to the title, so no result page shows two identical titles.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for raw in records:
        groups.setdefault(_text_key(raw), []).append(raw)
    titles: dict[str, str] = {}
    repeats: set[str] = set()
    for group in groups.values():
        if len(group) == 1:
            continue
        kept: dict[tuple[str, str, str], dict[str, Any]] = {}
        for raw in sorted(group, key=lambda r: int(str(r["id"])) if str(r["id"]).isdigit() else 0):
            key = _variant_key(raw)
            if key in kept:
                repeats.add(str(raw["id"]))
            else:
                kept[key] = raw
        if len(kept) < 2:
            continue
        named: dict[str, str] = {}
        for raw in kept.values():
            title = str(raw.get("title") or "")
            named[str(raw["id"])] = f"{title}, {_suffix(raw, title)}"
        counts: dict[str, int] = {}
        for title in named.values():
            counts[_folded(title)] = counts.get(_folded(title), 0) + 1
        for raw in kept.values():
            source_id = str(raw["id"])
            if counts[_folded(named[source_id])] > 1:
                named[source_id] += f" (EAN {(raw.get('ean') or [source_id])[0]})"
        titles.update(named)
    return titles, repeats


def to_new_product(raw: dict[str, Any], report: ImportReport) -> NewProduct:
    source_id = str(raw["id"])
    gtin = None
    for ean in raw.get("ean") or []:
        code = str(ean).strip()
        if gtin is None and is_valid_gtin(code):
            gtin = code
        elif not is_valid_gtin(code):
            report.invalid_eans.append((source_id, code))
    attributes = {
        k[7:]: str(v)
        for k, v in raw.items()
        if k.startswith("attr_") and v is not None and len(str(v)) <= 200
    }
    return NewProduct(
        title=str(raw.get("title") or raw.get("name") or source_id)[:500],
        brand=str(raw.get("supplier") or "Unbranded"),
        gtin=gtin,
        model=str(raw.get("name") or ""),
        description=str(raw.get("short_description") or ""),
        attributes=dict(sorted(attributes.items())[:MAX_ATTRIBUTES]),
        origin_country=_country(raw.get("attr_t_country_of_origin")),
        weight_g=_int(
            raw.get("attr_n_weight") or raw.get("attr_n_package_weight"), DEFAULT_WEIGHT_G
        ),
        length_mm=_int(raw.get("attr_n_depth"), 0),
        width_mm=_int(raw.get("attr_n_width"), 0),
        height_mm=_int(raw.get("attr_n_height"), 0),
        image_url=raw.get("img_500x500"),
    )


def offer_plan(
    source_id: str, usd_cents: int, seller_ids: list[tuple[str, str]]
) -> list[tuple[str, str, int, int]]:
    """Which sellers offer a product, at what price and stock: (seller_id, currency, price, stock).

    One to three sellers per product; prices vary by up to 10% around the list price.
    """
    h = _digest(source_id)
    count = 1 + h % 3
    start = (h >> 8) % len(seller_ids)
    plan = []
    for i in range(count):
        seller_id, currency = seller_ids[(start + i * 3) % len(seller_ids)]
        variation = Decimal(100 + ((h >> (16 + i * 5)) % 21) - 10) / 100
        major = Decimal(max(usd_cents, 100)) / 100 * UNITS_PER_USD[currency] * variation
        price = max(1, round_to_minor(major, currency))
        stock = (h >> (30 + i * 6)) % 60 + 1
        plan.append((seller_id, currency, price, stock))
    return plan


def most_offered(records: list[dict[str, Any]], limit: int) -> list[str]:
    """Source ids of the ``limit`` imported products with the most demo offers, newest first
    among equals (then by id): the ones the demo catalog translates by hand."""
    _, repeats = plan_titles(records)
    ranked = sorted(
        (
            -(1 + _digest(str(raw["id"])) % 3),  # offer_plan's count
            "".join(chr(0x10FFFF - ord(c)) for c in str(raw.get("date_released") or "")),
            str(raw["id"]),
        )
        for raw in records
        if str(raw["id"]) not in repeats
    )
    return [source_id for _, _, source_id in ranked[:limit]]


def ensure_demo_sellers(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The demo sellers' (seller id, currency), creating accounts and shops when missing."""
    result = []
    for demo in DEMO_SELLERS:
        seller_id = uow.conn.scalar(select(sellers.c.id).where(sellers.c.name == demo.name))
        if seller_id is None:
            account_id = identity.account_id_for_email(
                uow, demo.email
            ) or identity.register_account(
                uow,
                identity.NewAccount(
                    email=demo.email,
                    password=identity.DEMO_SELLER_PASSWORD,
                    display_name=demo.name,
                    role=Role.SELLER,
                    country=demo.country,
                    currency=demo.currency,
                    locale=demo.locale,
                ),
            )
            seller_id = new_id("slr")
            now = uow.clock.now()
            uow.conn.execute(
                sellers.insert().values(
                    id=seller_id,
                    account_id=account_id,
                    name=demo.name,
                    country=demo.country,
                    currency=demo.currency,
                    status="active",
                    handling_days=2,
                    ship_from={
                        "line1": "1 Export Road",
                        "city": demo.city,
                        "postal_code": "",
                        "country": demo.country,
                    },
                    commission_bps=None,
                    rating_sum=0,
                    rating_count=0,
                    created_at=now,
                    approved_at=now,
                )
            )
        result.append((seller_id, demo.currency))
    return result


def import_chorus(
    uow_factory: UnitOfWorkFactory,
    folder: Path,
    *,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    report = ImportReport(files=len(list(folder.glob("*.json.zip"))))
    return import_records(
        uow_factory, list(read_products(folder)), report, progress=progress, source=SOURCE
    )


def import_records(
    uow_factory: UnitOfWorkFactory,
    records: Iterable[dict[str, Any]],
    report: ImportReport,
    *,
    progress: Callable[[ImportReport], None] | None = None,
    source: str = SOURCE,
) -> ImportReport:
    """Import Chorus-shaped records in chunks of ``CHUNK``, one transaction per chunk.

    Titles are planned over all records first (:func:`plan_titles`): repeated regional copies
    of a product are skipped and shared titles made distinct.
    """
    records = list(records)
    titles, repeats = plan_titles(records)
    with uow_factory() as uow:
        seller_ids = ensure_demo_sellers(uow)
        uow.commit()
    batch: list[dict[str, Any]] = []
    for raw in records:
        source_id = str(raw["id"])
        if source_id in repeats:
            report.duplicates_merged += 1
            continue
        if source_id in titles:
            raw = {**raw, "title": titles[source_id]}
            report.titles_disambiguated += 1
        batch.append(raw)
        if len(batch) >= CHUNK:
            _import_batch(uow_factory, batch, seller_ids, report, source)
            batch = []
            if progress:
                progress(report)
    _import_batch(uow_factory, batch, seller_ids, report, source)
    if progress:
        progress(report)
    return report


def _import_batch(
    uow_factory: UnitOfWorkFactory,
    batch: list[dict[str, Any]],
    seller_ids: list[tuple[str, str]],
    report: ImportReport,
    source: str,
) -> None:
    if not batch:
        return
    with uow_factory() as uow:
        now = uow.clock.now()
        refs = [f"{source}:{raw['id']}" for raw in batch]
        existing = dict(
            uow.conn.execute(
                select(products.c.source_ref, products.c.id).where(products.c.source_ref.in_(refs))
            ).all()
        )
        new_products, new_offers = [], []
        for raw, ref in zip(batch, refs, strict=True):
            report.products_seen += 1
            product = to_new_product(raw, report)  # reports bad EANs on every run
            if ref in existing:
                continue
            try:
                values = product_values(product, created_by=None, now=now, source_ref=ref)
            except InvalidInput as exc:
                report.rejected.append((str(raw.get("id")), exc.detail))
                continue
            new_products.append(values)
            for seller_id, currency, price, stock in offer_plan(
                str(raw["id"]), int(raw.get("price") or 0), seller_ids
            ):
                new_offers.append(
                    {
                        "id": new_id("ofr"),
                        "product_id": values["id"],
                        "seller_id": seller_id,
                        "price_minor": price,
                        "currency": currency,
                        "stock": stock,
                        "condition": "new",
                        "status": "active",
                        "shipping_services": ["registered_small_packet", "ems"],
                        # Half the Chinese shops' listings ship free, AliExpress-style.
                        "free_shipping": currency == "CNY" and price % 2 == 0,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        report.products_created += (
            insert_ignoring_conflicts(uow.conn, products, new_products) if new_products else 0
        )
        report.offers_created += (
            insert_ignoring_conflicts(uow.conn, offers, new_offers) if new_offers else 0
        )
        uow.commit()
