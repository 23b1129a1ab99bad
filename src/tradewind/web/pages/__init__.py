"""Server-rendered pages (Jinja2 + htmx), one module per area; authorization on the server.

``render`` and ``templates`` are re-exported for other HTML routes (the sandbox processor's
hosted payment page).
"""

from fastapi import APIRouter

from tradewind.web.pages import (
    account,
    address_book,
    cart,
    catalog,
    disputes,
    flash_sale,
    money_ops,
    operator,
    operator_applications,
    operator_audit,
    operator_overview,
    operator_payouts,
    operator_promotions,
    operator_quality,
    operator_risk,
    orders,
    preferences,
    seller,
    seller_listings,
    seller_orders,
    seller_payouts,
    seller_performance,
    seller_promotions,
    settings,
)
from tradewind.web.templating import render, templates

router = APIRouter(include_in_schema=False)
for _module in (
    account,
    address_book,
    settings,
    catalog,
    cart,
    orders,
    disputes,
    seller_listings,
    seller_orders,
    seller_payouts,
    seller_performance,
    seller_promotions,
    flash_sale,
    seller,
    operator,
    operator_applications,
    operator_audit,
    operator_overview,
    operator_payouts,
    operator_promotions,
    operator_quality,
    operator_risk,
    money_ops,
    preferences,
):
    router.include_router(_module.router)

__all__ = ["render", "router", "templates"]
