"""Demo data: accounts for every role, FX quotes, sellers, the catalog and offers.

With ``../shared/data/chorus/products`` present the catalog is the real Chorus data (19,406
products); otherwise a small generated catalog. Seeding is idempotent: a second run finds what
exists and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from tradewind.bootstrap import Container
from tradewind.catalog.chorus_import import UNITS_PER_USD, import_chorus
from tradewind.db.tables.identity import accounts
from tradewind.db.tables.money import fx_quotes
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.money.service import record_quote

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


DEMO_ACCOUNTS = (
    DemoAccount("operator@tradewind.test", "Olivia Operator", Role.OPERATOR, "IL"),
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
        from tradewind.catalog.generated import import_generated

        import_generated(container.uow)
