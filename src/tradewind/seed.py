"""Demo data: accounts for every role, FX quotes, sellers, the catalog and offers.

With ``../shared/data/chorus/products`` present the catalog is the real Chorus data (19,406
products); otherwise a small generated catalog. Seeding is idempotent: a second run finds what
exists and changes nothing.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from tradewind.bootstrap import Container
from tradewind.catalog import texts
from tradewind.catalog.chorus_import import UNITS_PER_USD, import_chorus
from tradewind.catalog.generated import import_generated
from tradewind.db.tables.catalog import offers, sellers
from tradewind.db.tables.flash import flash_sales
from tradewind.db.tables.identity import accounts
from tradewind.db.tables.money import fx_quotes
from tradewind.flash.domain import Terms
from tradewind.flash.service import create_sale
from tradewind.identity import service as identity
from tradewind.identity.domain import Role, StaffRole
from tradewind.money.service import record_quote
from tradewind.search import service as search

log = logging.getLogger(__name__)

DEMO_PASSWORD = identity.DEMO_SELLER_PASSWORD  # published demo credential, see README
DEMO_FX_SPREAD_BPS = 100


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role
    country: str
    locale: str = "en"
    staff_role: StaffRole | None = None


DEMO_ACCOUNTS = (
    DemoAccount("operator@tradewind.test", "Olivia Operator", Role.OPERATOR, "IL"),
    DemoAccount(
        "support@tradewind.test", "Sam Support", Role.OPERATOR, "IL", staff_role=StaffRole.SUPPORT
    ),
    DemoAccount(
        "finance@tradewind.test", "Fay Finance", Role.OPERATOR, "IL", staff_role=StaffRole.FINANCE
    ),
    DemoAccount(
        "catalog@tradewind.test", "Cat Catalog", Role.OPERATOR, "IL", staff_role=StaffRole.CATALOG
    ),
    DemoAccount("buyer@tradewind.test", "Noa Buyer", Role.BUYER, "IL", "he_IL"),
    DemoAccount("buyer.de@tradewind.test", "Jonas Käufer", Role.BUYER, "DE", "de_DE"),
    DemoAccount("buyer.us@tradewind.test", "Avery Buyer", Role.BUYER, "US", "en_US"),
)


def seed_accounts(container: Container) -> int:
    created = 0
    for demo in DEMO_ACCOUNTS:
        with container.uow() as uow:
            exists = uow.conn.scalar(select(accounts.c.id).where(accounts.c.email == demo.email))
            if exists:
                continue
            identity.register_account(
                uow,
                identity.NewAccount(
                    email=demo.email,
                    password=DEMO_PASSWORD,
                    display_name=demo.name,
                    role=demo.role,
                    country=demo.country,
                    locale=demo.locale,
                    staff_role=demo.staff_role,
                ),
            )
            uow.commit()
            created += 1
    log.info("demo accounts seeded", extra={"accounts_created": created})
    return created


def seed_fx(container: Container) -> int:
    """Cross rates between every pair of demo currencies, from units-per-USD references."""
    with container.uow() as uow:
        if uow.conn.scalar(select(func.count()).select_from(fx_quotes)):
            return 0
        count = 0
        for base, base_per_usd in UNITS_PER_USD.items():
            for quote, quote_per_usd in UNITS_PER_USD.items():
                if base == quote:
                    continue
                rate = (quote_per_usd / base_per_usd).quantize(Decimal("0.00000001"))
                record_quote(
                    uow,
                    None,
                    base=base,
                    quote=quote,
                    rate=str(rate),
                    spread_bps=DEMO_FX_SPREAD_BPS,
                    source="demo reference rates",
                )
                count += 1
        uow.commit()
    return count


def seed_demo(container: Container, chorus_path: Path | None = None) -> None:
    seed_accounts(container)
    seed_fx(container)
    folder = chorus_path or container.settings.chorus_path
    if folder.is_dir():
        report = import_chorus(container.uow, folder)
        log.info(
            "chorus catalog imported",
            extra={
                "products_created": report.products_created,
                "offers_created": report.offers_created,
                "invalid_eans": len(report.invalid_eans),
            },
        )
    else:
        report = import_generated(container.uow)
    if report.products_created:  # a fresh catalog: index it for search in one pass
        with container.uow() as uow:
            search.reindex_all(uow)
            uow.commit()
    if folder.is_dir():
        seed_translations(container)
    seed_flash_sale(container)  # flash sales (issue 8)


# --- Translated titles (issue 15) ------------------------------------------------------------
TRANSLATIONS_FILE = Path(__file__).parent / "seed_data" / "product_titles.csv"


def read_translations(path: Path = TRANSLATIONS_FILE) -> dict[str, dict[str, tuple[str, str]]]:
    """``chorus_id,title_he,title_zh`` rows -> {"chorus:<id>": {"he": (title, ""), ...}}."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[f"chorus:{row['chorus_id'].strip()}"] = {
                language: (row[f"title_{language}"].strip(), "")
                for language in ("he", "zh")
                if row.get(f"title_{language}", "").strip()
            }
    return found


def seed_translations(container: Container) -> int:
    """Hebrew and Chinese titles of the demo catalog's most-offered products (written by hand,
    keyed by Chorus id); idempotent, and the products are re-indexed so both languages search."""
    with container.uow() as uow:
        changed = texts.load_translations(uow, read_translations())
        search.index_products(uow, changed)
        uow.commit()
    return len(changed)


# --- Flash sales (issue 8) -------------------------------------------------------------------
DEMO_FLASH_SELLER = "shop.shenzhen@tradewind.test"  # "Shenzhen Parts Co"
DEMO_FLASH_POOL = 100
DEMO_FLASH_HOURS = 4


def seed_flash_sale(container: Container) -> str | None:
    """A live flash sale on the first offer of Shenzhen Parts Co: 100 units at 30% off, two per
    buyer, 15-minute holds. Idempotent: skipped while one of the shop's sales is still open."""
    with container.uow() as uow:
        now = uow.clock.now()
        shop = uow.conn.execute(
            select(sellers.c.id, sellers.c.account_id)
            .join(accounts, accounts.c.id == sellers.c.account_id)
            .where(accounts.c.email == DEMO_FLASH_SELLER)
        ).first()
        if shop is None:
            return None
        running = uow.conn.scalar(
            select(flash_sales.c.id).where(
                flash_sales.c.seller_id == shop.id, flash_sales.c.ends_at > now
            )
        )
        offer = uow.conn.execute(
            select(offers.c.id, offers.c.price_minor)
            .where(offers.c.seller_id == shop.id, offers.c.status == "active")
            .order_by(offers.c.id)
            .limit(1)
        ).first()
        if running is not None or offer is None:
            return None
        terms = Terms(
            price_minor=max(1, offer.price_minor * 7 // 10),
            pool_units=DEMO_FLASH_POOL,
            per_buyer_limit=2,
            hold_s=15 * 60,
            starts_at=now,
            ends_at=now + timedelta(hours=DEMO_FLASH_HOURS),
        )
        principal = identity.principal_for_account(uow, shop.account_id)
        sale = create_sale(uow, principal, offer.id, terms)
        uow.commit()
    log.info("demo flash sale seeded", extra={"sale_id": sale["id"]})
    return str(sale["id"])
