"""The operator console's overview: the marketplace in figures and charts.

Sales, orders and conversion over the last days (in the operator's own days and time zone),
dispute and refund rates, late shipments, and the money the platform holds now (escrow) and
owes (payouts due). Each figure comes from its owner's ``figures`` module in one grouped read,
so the page costs the same with a hundred orders or a hundred thousand before the window.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container, sync_manual_clock
from tradewind.escrow import figures as escrow_figures
from tradewind.identity.domain import Permission
from tradewind.kernel.i18n import _
from tradewind.ordering import figures as order_figures
from tradewind.ordering.figures import HourSales
from tradewind.payments import figures as payment_figures
from tradewind.web import locale
from tradewind.web.charts import BarChart, bar_chart
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import (
    money_text,
    need,
    number_text,
    page,
    percent_text,
    render,
    viewer_locale,
)

router = APIRouter(prefix="/ops", include_in_schema=False)
DAYS = 14  # bars per chart
RATE_DAYS = 30  # the window of the rates


@dataclass(frozen=True)
class Rate:
    """A share with what it is made of, so the page can say ``3 of 120``."""

    part: int
    whole: int

    @property
    def percent(self) -> str:
        return percent_text(self.part, self.whole)


def _local_days(today: date) -> list[date]:
    return [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]


def _fold(sales: list[HourSales], days: list[date]) -> dict[str, Any]:
    """Hourly sales into the operator's days: GMV per currency per day, orders per day."""
    zone = locale.current().zone
    gmv: dict[str, dict[date, int]] = defaultdict(lambda: dict.fromkeys(days, 0))
    orders = dict.fromkeys(days, 0)
    for hour in sales:
        day = hour.hour.astimezone(zone).date()
        if day in orders:
            gmv[hour.currency][day] += hour.gmv_minor
            orders[day] += hour.orders
    return {"gmv": dict(sorted(gmv.items())), "orders": orders}


def _in_currency(currency: str, amount_minor: int) -> str:
    return money_text(amount_minor, currency)


def _charts(folded: dict[str, Any], days: list[date]) -> list[BarChart]:
    short = [format_date(d, "d MMM", locale=viewer_locale()) for d in days]
    charts = [
        bar_chart(
            _("GMV in %(currency)s per day") % {"currency": currency},
            list(zip(short, per_day.values(), strict=True)),
            functools.partial(_in_currency, currency),
        )
        for currency, per_day in folded["gmv"].items()
    ]
    charts.append(
        bar_chart(
            _("Seller orders paid per day"),
            list(zip(short, folded["orders"].values(), strict=True)),
            number_text,
        )
    )
    return charts


def overview_figures(container: Container) -> dict[str, Any]:
    """Everything the overview shows, read in one snapshot-free read-only transaction."""
    now = container.clock.now()
    zone = locale.current().zone
    today = now.astimezone(zone).date()
    days = _local_days(today)
    first = datetime.combine(days[0], datetime.min.time(), zone)
    rates_since = now - timedelta(days=RATE_DAYS)
    with container.uow(read_only=True) as uow:
        folded = _fold(order_figures.sales_by_hour(uow, min(first, rates_since)), days)
        recent = order_figures.sales_by_hour(uow, rates_since)
        paid_orders = sum(h.orders for h in recent)
        figures = {
            "conversion": Rate(
                order_figures.checkouts_paid_of_created(uow, rates_since),
                order_figures.checkouts_created(uow, rates_since),
            ),
            "dispute_rate": Rate(escrow_figures.disputes_opened(uow, rates_since), paid_orders),
            "refund_rate": Rate(payment_figures.orders_refunded(uow, rates_since), paid_orders),
            "late_to_ship": order_figures.late_to_ship(uow, now),
            "escrow_held": escrow_figures.escrow_held(uow),
            "payouts_due": escrow_figures.payouts_due(uow),
        }
    figures["charts"] = _charts(folded, days)
    figures["gmv_totals"] = {c: sum(per_day.values()) for c, per_day in folded["gmv"].items()}
    figures["orders_total"] = sum(folded["orders"].values())
    figures["days"] = days
    return figures


@router.get("/overview")
@page
def overview(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    operator = need(principal, Permission.CONSOLE)
    sync_manual_clock(container)
    context = {"principal": operator, "rate_days": RATE_DAYS, **overview_figures(container)}
    return render(request, "ops/overview.html", context)
