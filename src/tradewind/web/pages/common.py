"""What every page shares: templates, money and date display, who is asking, error pages.

Why error pages here and not in ``problems``: the app's exception handlers answer
``application/problem+json`` for API clients. A person in a browser needs an HTML page, or the
login form when the session is missing, so page handlers are wrapped by :func:`page`, which
translates the same typed domain errors with the same status table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ParamSpec
from urllib.parse import quote

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context

from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import DomainError, Unauthenticated
from tradewind.money.amount import Money
from tradewind.money.display import format_money
from tradewind.web.problems import status_for
from tradewind.web.templating import templates

P = ParamSpec("P")


# Viewers who are not logged in see prices as a US buyer would (one documented default).
ANONYMOUS_COUNTRY = "US"
ANONYMOUS_CURRENCY = "USD"
ANONYMOUS_LOCALE = "en_US"
PAGE_SIZE = 50

# Short confirmations after a POST-redirect-GET, keyed so a URL cannot inject text.
NOTICES = {
    "applied": "Your shop application was sent. An operator will review it.",
    "approve": "The shop was approved.",
    "suspend": "The shop was suspended.",
    "reinstate": "The shop was reinstated.",
    "cart": "Your cart was updated.",
    "shipped": "The order was marked as shipped.",
    "confirmed": "Thank you: receipt confirmed and the seller is paid.",
    "dispute": "Your dispute was opened. The seller has been asked to respond.",
    "message": "Your message was added.",
    "escalated": "The dispute was sent to an operator.",
    "resolved": "The dispute was resolved.",
    "fx": "The FX rate was added.",
    "amended": "The amendment was scheduled.",
    "withdrawn": "The amendment was withdrawn; it will not take effect.",
    "offer": "The listing was updated.",
    "payouts": "The payout batch ran.",
    "registered": "Welcome to Tradewind.",
}


class Redirect(Exception):
    """Raised inside a page handler to send the browser elsewhere (e.g. a shop not yet open)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def viewer_locale(principal: Principal | None) -> str:
    return principal.locale if principal else ANONYMOUS_LOCALE


def viewer_currency(principal: Principal | None) -> str:
    return principal.currency if principal else ANONYMOUS_CURRENCY


def viewer_country(principal: Principal | None) -> str:
    return principal.country if principal else ANONYMOUS_COUNTRY


@pass_context
def _money(ctx: Context, amount_minor: int | None, currency: str) -> str:
    """``{{ order.total_minor | money(order.currency) }}`` in the viewer's locale."""
    if amount_minor is None:
        return ""
    return format_money(Money(int(amount_minor), currency), viewer_locale(ctx.get("principal")))


@pass_context
def _day(ctx: Context, value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return format_date(day, format="medium", locale=viewer_locale(ctx.get("principal")))


@pass_context
def _when(ctx: Context, value: datetime | str | None) -> str:
    """A moment in UTC, so buyer, seller and operator read the same time as the server."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    text = format_datetime(
        moment, format="medium", tzinfo=None, locale=viewer_locale(ctx.get("principal"))
    )
    return f"{text} UTC"


def _major(amount_minor: int, currency: str) -> str:
    """An amount as a plain decimal for form fields (``1250`` USD is ``12.50``), no symbols."""
    return str(Money(int(amount_minor), currency).to_decimal())


templates.env.filters["money"] = _money
templates.env.filters["major"] = _major
templates.env.filters["day"] = _day
templates.env.filters["when"] = _when


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return templates.TemplateResponse(
        request, name, {"notice": notice, **context}, status_code=status_code
    )


def need(principal: Principal | None, *roles: Role) -> Principal:
    """The signed-in principal (or the login page), optionally limited to ``roles`` (403)."""
    if principal is None:
        raise Unauthenticated("log in to see this page", code="unauthenticated")
    if roles:
        require_role(principal, *roles)
    return principal


def local_path(raw: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after login: never an open redirect."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default


def see_other(location: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        location += ("&" if "?" in location else "?") + f"notice={notice}"
    return RedirectResponse(location, status_code=303)


def page(handler: Callable[P, Response]) -> Callable[P, Response]:
    """Turn typed domain errors into HTML: login redirect for 401, an error page otherwise.

    Page handlers take ``request`` (and usually ``principal``) as keyword arguments, which is
    how FastAPI calls them; the error page needs both.
    """

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = kwargs["request"]
        assert isinstance(request, Request)
        try:
            return handler(*args, **kwargs)
        except Redirect as exc:
            return RedirectResponse(exc.location, status_code=303)
        except Unauthenticated:
            target = request.url.path if request.method == "GET" else "/"
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        except DomainError as exc:
            return render(
                request,
                "error.html",
                {"principal": kwargs.get("principal"), "error": exc},
                status_code=status_for(exc),
            )

    return wrapper
