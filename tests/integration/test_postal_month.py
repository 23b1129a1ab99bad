"""A simulated month of 1,000 parcels through the postal simulator's realistic mix of fates.

Every delivered order must complete and release escrow exactly once; every expired or returned
parcel must end in a refund or a dispute; no order may be left waiting. Orders are placed and
paid through the services (the same code the API runs, without 1,000 HTTP round trips), and
carrier webhooks go through signature verification and ingestion exactly as over HTTP.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.market import address_in
from tradewind.bench.fixtures import bulk_buyers
from tradewind.bootstrap import Container, send_intents
from tradewind.catalog import service as catalog
from tradewind.db.tables.catalog import sellers
from tradewind.db.tables.identity import accounts
from tradewind.db.tables.ledger import ledger_transactions
from tradewind.db.tables.logistics import postal_sim_parcels, shipments
from tradewind.db.tables.ordering import orders
from tradewind.db.tables.payments import sandbox_psp_events
from tradewind.escrow.checks import check_ledger
from tradewind.fulfilment import postal_sim, tracking
from tradewind.fulfilment.service import ship_order
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.kernel.clock import ManualClock
from tradewind.ordering.checkout import CheckoutRequest, place_checkout
from tradewind.ordering.domain import LineRequest
from tradewind.payments import service as payments
from tradewind.payments.sandbox import CARD_SUCCESS
from tradewind.timers.service import run_due

PARCELS = 1000
# The same month on PostgreSQL with fewer parcels: each webhook is a round-trip-bound
# transaction there, and 1,000 parcels (about 19,000 webhooks) would take minutes of the suite.
PARCELS_ON_POSTGRESQL = 300


def _parcels(container: Container) -> int:
    return PARCELS if container.settings.is_sqlite else PARCELS_ON_POSTGRESQL


def _seller(container: Container) -> tuple[object, str]:
    with container.uow() as uow:
        account_id = identity.register_account(
            uow,
            identity.NewAccount(
                email="month@example.com",
                password="month-seller-password",
                display_name="Month",
                role=Role.SELLER,
                country="CN",
                currency="USD",
            ),
        )
        principal = identity.principal_for_account(uow, account_id)
        shop = catalog.apply_as_seller(
            uow,
            principal,
            catalog.SellerApplication(
                name="Month Shop", ship_from={"line1": "1 Dock", "city": "Shenzhen"}, currency="USD"
            ),
        )
        uow.conn.execute(sellers.update().where(sellers.c.id == shop["id"]).values(status="active"))
        product = catalog.create_product(
            uow,
            principal,
            catalog.NewProduct(title="Phone case", brand="Acme", weight_g=80, origin_country="CN"),
        )
        offer = catalog.create_offer(
            uow,
            principal,
            catalog.NewOffer(
                product_id=product["id"], price_minor=1500, stock=PARCELS, free_shipping=True
            ),
        )
        uow.commit()
    return principal, offer["id"]


def _sell_and_ship(container: Container, seller: object, offer_id: str) -> None:
    buyers = bulk_buyers(container.uow, _parcels(container), prefix="month")
    with container.uow(read_only=True) as uow:
        buyer_ids = [
            r.id
            for r in uow.conn.execute(
                select(accounts.c.id).where(accounts.c.role == "buyer").order_by(accounts.c.email)
            )
        ]
    assert len(buyer_ids) == len(buyers)
    for account_id in buyer_ids:
        with container.uow() as uow:
            buyer = identity.principal_for_account(uow, account_id)
            checkout = place_checkout(
                uow,
                buyer,
                CheckoutRequest(ship_to=address_in("US"), lines=[LineRequest(offer_id, 1)]),
                payment_timeout_s=3600,
            )
            payment = payments.start_payment(
                uow, buyer, container.payments, checkout["id"], return_url="/"
            )
            container.payments.submit_card(uow, payment["provider_payment_id"], CARD_SUCCESS)
            _deliver_payment_events(uow, container, payment["provider_payment_id"])
            uow.commit()
        send_intents(container)  # the capture is called after the commit that decided it
        with container.uow() as uow:
            _deliver_payment_events(uow, container, payment["provider_payment_id"])
            ship_order(
                uow,
                container.policy,
                seller,
                checkout["orders"][0]["id"],  # type: ignore[arg-type]
                None,
                carrier=container.carrier,
            )
            uow.commit()


def _deliver_payment_events(uow: object, container: Container, payment_id: str) -> None:
    """The sandbox's events, handed to the same handler the webhook route calls."""
    seen: set[str] = set()
    for _ in range(3):  # authorized -> (capture) -> captured
        rows = uow.conn.execute(
            select(sandbox_psp_events).where(  # type: ignore[attr-defined]
                sandbox_psp_events.c.payment_id == payment_id
            )
        ).all()
        for row in rows:
            if row.id not in seen:
                seen.add(row.id)
                payments.record_event(uow, container.payments, row.payload)  # type: ignore[arg-type]


def _sender(container: Container):  # type: ignore[no-untyped-def]
    def send(_url: str, body: bytes, headers: dict[str, str]) -> int:
        tracking.receive_webhook(
            container.uow,
            container.policy,
            container.payments,
            container.postal_secret,
            body,
            headers[postal_sim.SIGNATURE_HEADER],
        )
        return 200

    return send


@pytest.mark.slow
def test_a_month_of_a_thousand_parcels(container: Container, clock: ManualClock) -> None:
    # Webhooks carry the news here; a weekly poll is the backstop (daily polls for 1,000
    # parcels over 45 days would be 45,000 timer runs of pure overhead in this test).
    container.carrier = dataclasses.replace(container.carrier, poll_every_h=7 * 24)
    seller, offer_id = _seller(container)
    _sell_and_ship(container, seller, offer_id)
    for _ in range(45 * 4):  # 45 days in six-hour steps
        clock.advance(timedelta(hours=6))
        postal_sim.dispatch(container.uow, _sender(container), container.postal_secret)
        while run_due(container.uow, container.timer_handlers, limit=5000):
            pass

    with container.uow(read_only=True) as uow:
        fates = dict(
            uow.conn.execute(
                select(postal_sim_parcels.c.tracking_number, postal_sim_parcels.c.scenario)
            ).all()
        )
        outcome = {
            r.tracking_number: (r.status, r.order_status)
            for r in uow.conn.execute(
                select(
                    shipments.c.tracking_number,
                    shipments.c.status,
                    orders.c.status.label("order_status"),
                ).join(orders, orders.c.id == shipments.c.order_id)
            )
        }
        releases = uow.conn.scalar(
            select(func.count())
            .select_from(ledger_transactions)
            .where(ledger_transactions.c.kind == "release")
        )
        breaches = check_ledger(uow)

    assert len(outcome) == _parcels(container)
    released = {"COMPLETED", "FINALIZED"}  # finalized once the after-sales window closed
    expected = {
        "happy_path": ("Delivered", released),
        "held_by_customs": ("Delivered", released),
        "failed_delivery_then_pickup": ("Delivered", released),
        "returned_to_sender": ("Exception", {"REFUNDED"}),
        "lost_in_transit": ("Expired", {"IN_DISPUTE"}),
        "silent": ("Expired", {"IN_DISPUTE"}),
    }
    wrong = {
        n: (fates[n], got)
        for n, got in outcome.items()
        if got[0] != expected[fates[n]][0] or got[1] not in expected[fates[n]][1]
    }
    assert wrong == {}
    mix = Counter(fates.values())
    assert all(mix[name] > 0 for name in expected), mix
    delivered = sum(n for name, n in mix.items() if expected[name][1] is released)
    assert releases == delivered  # exactly once each
    assert breaches == []
