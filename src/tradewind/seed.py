"""Demo data: accounts for every role (and, as contexts grow, sellers, catalog and a flash sale).

Seeding is idempotent: running it again finds what exists and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from tradewind.bootstrap import Container
from tradewind.db.tables.identity import accounts
from tradewind.identity import service as identity
from tradewind.identity.domain import Role

log = logging.getLogger(__name__)

DEMO_PASSWORD = "tradewind-demo"


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
    DemoAccount("seller.cn@tradewind.test", "Shenzhen Parts Co", Role.SELLER, "CN", "zh_CN"),
    DemoAccount("seller.us@tradewind.test", "Austin Gadgets", Role.SELLER, "US"),
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


def seed_demo(container: Container) -> None:
    seed_accounts(container)
