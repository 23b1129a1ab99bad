"""What every page shares: templates, money and date display, who is asking, error pages.

Why error pages here and not in ``problems``: the app's exception handlers answer
``application/problem+json`` for API clients. A person in a browser needs an HTML page, or the
login form when the session is missing, so page handlers are wrapped by :func:`page`, which
translates the same typed domain errors with the same status table.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, ParamSpec
from urllib.parse import quote

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, get_timezone_name
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel import i18n
from tradewind.kernel.errors import DomainError, Unauthenticated
from tradewind.kernel.i18n import N_, _
from tradewind.kernel.problems import ProblemCode
from tradewind.media.service import thumbnail_url
from tradewind.money.amount import Money
from tradewind.money.display import format_money
from tradewind.web import locale
from tradewind.web.problems import status_for
from tradewind.web.templating import render as render_template
from tradewind.web.templating import templates

P = ParamSpec("P")


PAGE_SIZE = 50

# Short confirmations after a POST-redirect-GET, keyed so a URL cannot inject text; marked
# here, translated when shown.
NOTICES = {
    "applied": N_("Your shop application was sent. An operator will review it."),
    "approve": N_("The shop was approved."),
    "suspend": N_("The shop was suspended."),
    "reinstate": N_("The shop was reinstated."),
    "cart": N_("Your cart was updated."),
    "checkout_cancelled": N_(
        "The checkout was cancelled: nothing was charged, and the items are back in your cart."
    ),
    "shipped": N_("The order was marked as shipped."),
    "confirmed": N_("Thank you: receipt confirmed and the seller is paid."),
    "dispute": N_("Your dispute was opened. The seller has been asked to respond."),
    "message": N_("Your message was added."),
    "escalated": N_("The dispute was sent to an operator."),
    "resolved": N_("The dispute was resolved."),
    "fx": N_("The FX rate was added."),
    "decided": N_("The case was decided and written to the audit log."),
    "amended": N_("The amendment was scheduled."),
    "withdrawn": N_("The amendment was withdrawn; it will not take effect."),
    "offer": N_("The listing was updated."),
    "payouts": N_("The payout batch ran."),
    "registered": N_("Welcome to Tradewind."),
    "preferences": N_("Your language and region were saved."),
    "picture": N_("The picture was added."),
    "evidence": N_("The evidence was sent to the processor. The card network decides next."),
    "mismatch_resolved": N_("The mismatch was marked resolved."),
    "mismatch_refunded": N_("The held capture is being refunded to the buyer."),
}


# Problem titles (the classes' English ``title``) and, per stable code, a sentence for people;
# pages show these in the page's language. A detail with a translation of its own wins.
PROBLEM_TITLES = {
    "Request failed": N_("Request failed"),
    "Invalid input": N_("Invalid input"),
    "Authentication required": N_("Authentication required"),
    "Not allowed": N_("Not allowed"),
    "Not found": N_("Not found"),
    "Conflict with the current state": N_("Conflict with the current state"),
    "Illegal state transition": N_("Illegal state transition"),
    "Idempotency key reused with a different request": N_("This request was already sent"),
    "Out of stock": N_("Out of stock"),
    "Limit exceeded": N_("Limit exceeded"),
    "Too many requests": N_("Too many requests"),
}
PROBLEM_DETAILS = {
    "invalid_input": N_("Some of what you entered is not valid. Check the form and try again."),
    "forbidden": N_("You are not allowed to do this."),
    "role_required": N_("Your account cannot use this page."),
    "not_found": N_("We could not find what you were looking for."),
    "conflict": N_("This changed in the meantime. Reload the page and try again."),
    "illegal_transition": N_("This cannot be done in the order's current state."),
    "out_of_stock": N_("There is not enough stock left for this."),
    "limit_exceeded": N_("This is over the limit allowed."),
    "too_many_requests": N_("Too many attempts. Wait a little and try again."),
    "email_taken": N_("An account with this email already exists."),
    "password_guessable": N_("This password is too easy to guess. Choose a longer one."),
    "password_length": N_("The password must be 10 to 256 characters long."),
    "currency_not_supported": N_("This currency is not offered here."),
    "csrf_failed": N_("Your form expired. Reload the page and try again."),
    "mismatch_resolved": N_("This mismatch was already resolved."),
    "invalid_text": N_("Write one line of 1 to 500 characters."),
}


def _field(error: DomainError | Mapping[str, Any], name: str) -> str:
    value = error.get(name) if isinstance(error, Mapping) else getattr(error, name, None)
    return str(value) if value is not None else ""


def problem_title(error: DomainError | Mapping[str, Any]) -> str:
    """A typed error's title, or an error page's (``web.error_pages``), in the page's language."""
    title = _field(error, "title")
    return _(PROBLEM_TITLES.get(title, title)) if title else _("Request failed")


def problem_text(error: DomainError | Mapping[str, Any]) -> str:
    """The error's detail in the page's language: its own translation, else the sentence for
    its code, else its title's; never English on a Hebrew or Chinese page."""
    detail = _field(error, "detail")
    own = _(detail) if detail else ""
    if own and (own != detail or i18n.current_language() == i18n.DEFAULT_LANGUAGE):
        return own
    sentence = PROBLEM_DETAILS.get(_field(error, "code"))
    return _(sentence) if sentence else problem_title(error)


templates.env.globals["problem_title"] = problem_title
templates.env.globals["problem_text"] = problem_text


# Words that are data in the code (enum values) but text on the page.
LABELS = {
    "express": N_("express"),
    "surface": N_("surface"),
    "new": N_("new"),
    "used": N_("used"),
    "refurbished": N_("refurbished"),
    "buyer": N_("buyer"),
    "seller": N_("seller"),
    "operator": N_("operator"),
    "system": N_("Tradewind"),
    # order statuses (shown lower case, words apart: AWAITING_SHIPMENT is "awaiting shipment")
    "awaiting payment": N_("awaiting payment"),
    "awaiting shipment": N_("awaiting shipment"),
    "awaiting receipt": N_("awaiting receipt"),
    "in dispute": N_("in dispute"),
    "completed": N_("completed"),
    "finalized": N_("finalized"),
    "cancelled": N_("cancelled"),
    "cancelled refunded": N_("cancelled and refunded"),
    "refunded": N_("refunded"),
    # checkout, payment and dispute statuses
    "paid": N_("paid"),
    "expired": N_("expired"),
    "failed": N_("failed"),
    "pending": N_("pending"),
    "succeeded": N_("succeeded"),
    "open": N_("open"),
    "seller responded": N_("seller responded"),
    "escalated": N_("escalated"),
    "resolved": N_("resolved"),
    "active": N_("active"),
    "suspended": N_("suspended"),
    "paused": N_("paused"),
    # tracking statuses (InTransit is "in transit")
    "info received": N_("info received"),
    "in transit": N_("in transit"),
    "out for delivery": N_("out for delivery"),
    "attempt fail": N_("delivery attempt failed"),
    "delivered": N_("delivered"),
    "available for pickup": N_("available for pickup"),
    "exception": N_("exception"),
    # chargebacks: statuses, reason categories, the liable party
    "evidence submitted": N_("evidence submitted"),
    "won": N_("won"),
    "lost": N_("lost"),
    "platform": N_("the platform"),
    "fraud": N_("fraud"),
    "not received": N_("not received"),
    "not as described": N_("not as described"),
    "credit not processed": N_("credit not processed"),
    "processing error": N_("processing error"),
    "other": N_("other"),
    "held": N_("held"),
}
# Parcel statuses as tracking pages say them (the enum spells them InTransit, AttemptFail).
TRACKING_LABELS = {
    "Pending": N_("Pending"),
    "InfoReceived": N_("Info received"),
    "InTransit": N_("In transit"),
    "OutForDelivery": N_("Out for delivery"),
    "AttemptFail": N_("Delivery attempt failed"),
    "Delivered": N_("Delivered"),
    "AvailableForPickup": N_("Available for pickup"),
    "Exception": N_("Exception"),
    "Expired": N_("Expired"),
}
# Order history events (``auto_confirm`` reads "auto confirm").
EVENT_LABELS = {
    "placed": N_("order placed"),
    "pay": N_("paid"),
    "payment_timeout": N_("payment timed out"),
    "buyer_cancel": N_("cancelled by the buyer"),
    "ship": N_("shipped"),
    "miss_ship_by": N_("not shipped in time"),
    "accept_cancellation": N_("cancellation accepted"),
    "confirm_receipt": N_("receipt confirmed"),
    "auto_confirm": N_("auto confirm"),
    "open_dispute": N_("dispute opened"),
    "resolve_refund": N_("resolved with a refund"),
    "resolve_release": N_("resolved, paid to the seller"),
    "finalize": N_("finalized"),
    # dispute reasons
    "not_received": N_("Not received"),
    "not_as_described": N_("Not as described"),
    "damaged": N_("Damaged"),
    "wrong_item": N_("Wrong item"),
    "other": N_("Other"),
    # dispute resolutions and message kinds
    "refund_full": N_("full refund"),
    "refund_partial": N_("partial refund"),
    "release": N_("paid to the seller"),
    "open": N_("opened the dispute"),
    "message": N_("message"),
    "seller_response": N_("seller's answer"),
    "escalate": N_("asked an operator"),
    "resolve": N_("decision"),
}


def _tracking(value: object) -> str:
    raw = str(getattr(value, "value", value))
    return _(TRACKING_LABELS[raw]) if raw in TRACKING_LABELS else raw


def _event(value: object) -> str:
    raw = str(getattr(value, "value", value))
    return _(EVENT_LABELS[raw]) if raw in EVENT_LABELS else raw.replace("_", " ")


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _label(value: object) -> str:
    """``{{ order.status | label }}``: an enum value as words in the page's language
    (``AWAITING_SHIPMENT`` and ``InTransit`` read "awaiting shipment", "in transit")."""
    raw = str(getattr(value, "value", value))
    text = _CAMEL.sub(" ", raw).replace("_", " ").lower()
    return _(LABELS[text]) if text in LABELS else text


class Redirect(Exception):
    """Raised inside a page handler to send the browser elsewhere (e.g. a shop not yet open)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def viewer_locale(principal: Principal | None = None) -> str:
    """The Babel locale of this page's formats (he_IL), whoever is asking."""
    return locale.current().format_locale


def viewer_currency(principal: Principal | None) -> str:
    """The viewer's currency: the account's, else the visitor's choice (or their language's)."""
    return principal.currency if principal else locale.current().currency


def viewer_country(principal: Principal | None) -> str:
    return principal.country if principal else locale.current().country


def _money(amount_minor: int | None, currency: str) -> str:
    """``{{ order.total_minor | money(order.currency) }}`` in the page's locale."""
    if amount_minor is None:
        return ""
    return format_money(Money(int(amount_minor), currency), viewer_locale())


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = value.astimezone(locale.current().zone).date() if isinstance(value, datetime) else value
    return format_date(day, format="medium", locale=viewer_locale())


def _days(start: date | datetime | None, end: date | datetime | None) -> str:
    """A date range in the page's locale, by CLDR's interval patterns (``Dec 2 - 13, 2026``)."""
    if start is None or end is None:
        return _day(start or end)
    zone = locale.current().zone
    first = start.astimezone(zone).date() if isinstance(start, datetime) else start
    last = end.astimezone(zone).date() if isinstance(end, datetime) else end
    return format_interval(first, last, "yMMMd", locale=viewer_locale())


def _when(value: datetime | str | None) -> str:
    """A moment in the viewer's time zone, with the zone named (``... (Israel Time)``)."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    page_locale = locale.current()
    text = format_datetime(
        moment, format="medium", tzinfo=page_locale.zone, locale=page_locale.format_locale
    )
    zone_name = get_timezone_name(page_locale.zone, locale=page_locale.format_locale)
    return f"{text} ({zone_name})"


def _country(code: str | None) -> str:
    """A country's name in the page's language (``IL`` is ``Israel``, ``ישראל``, ``以色列``)."""
    if not code:
        return ""
    name = Locale.parse(viewer_locale()).territories.get(code.upper())
    return str(name) if name else code


def _number(value: int | float | None) -> str:
    return "" if value is None else format_decimal(value, locale=viewer_locale())


def _major(amount_minor: int, currency: str) -> str:
    """An amount as a plain decimal for form fields (``1250`` USD is ``12.50``), no symbols."""
    return str(Money(int(amount_minor), currency).to_decimal())


def image_src(url: str | None) -> str:
    """A catalog image URL as the page may load it: https (the policy allows no plain http,
    and the catalog's makers serve both), or one of the site's own ``/media/`` files; anything
    else (``javascript:``, ``data:``) is dropped."""
    if not url:
        return ""
    if url.startswith("http://"):
        return "https://" + url.removeprefix("http://")
    if url.startswith(("https://", "/media/")):
        return url
    return ""


def thumb_src(url: str | None) -> str:
    """The small size of a picture where one was made (uploads), else the picture itself."""
    return image_src(thumbnail_url(url)) if url else ""


templates.env.filters["image_src"] = image_src
templates.env.filters["thumb_src"] = thumb_src
templates.env.filters["money"] = _money
templates.env.filters["major"] = _major
templates.env.filters["day"] = _day
templates.env.filters["days"] = _days
templates.env.filters["when"] = _when
templates.env.filters["country"] = _country
templates.env.filters["number"] = _number
templates.env.filters["label"] = _label
templates.env.filters["tracking"] = _tracking
templates.env.filters["event"] = _event


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    key = request.query_params.get("notice", "")
    notice = _(NOTICES[key]) if key in NOTICES else None
    return render_template(request, name, {"notice": notice, **context}, status_code)


def need(principal: Principal | None, *roles: Role) -> Principal:
    """The signed-in principal (or the login page), optionally limited to ``roles`` (403)."""
    if principal is None:
        raise Unauthenticated("log in to see this page", code=ProblemCode.UNAUTHENTICATED)
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
        principal = kwargs.get("principal", getattr(request.state, "principal", None))
        locale.apply(request, principal if isinstance(principal, Principal) else None)
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
