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
from decimal import Decimal
from typing import Any, ParamSpec
from urllib.parse import quote

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, get_timezone_name
from babel.numbers import format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from tradewind.catalog.domain import CATEGORY_NAMES
from tradewind.identity.domain import (
    Permission,
    Principal,
    Role,
    require_permission,
    require_role,
)
from tradewind.kernel import i18n
from tradewind.kernel.errors import DomainError, FieldError, Unauthenticated
from tradewind.kernel.i18n import N_, _
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.tracking import EVENT_CODES
from tradewind.media.service import thumbnail_url
from tradewind.money.amount import Money
from tradewind.money.display import format_money
from tradewind.notifications import service as notifications
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
    "reject": N_("The application was rejected; the seller sees your reason."),
    "payout_held": N_("The shop's payouts are held until you release them."),
    "payout_held_already": N_("The shop's payouts were already held; nothing changed."),
    "payout_released": N_("The shop's payouts are released; the next batch pays it."),
    "payout_released_already": N_("The shop's payouts were not held; nothing changed."),
    "payout_retried": N_("The payout was sent again."),
    "cart": N_("Your cart was updated."),
    "checkout_cancelled": N_(
        "The checkout was cancelled: nothing was charged, and the items are back in your cart."
    ),
    "claim_cancelled": N_(
        "Your flash-sale claim was cancelled: nothing was charged, and the units went back to "
        "the sale. Your cart is unchanged."
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
    "clock": N_("The clock moved forward and the timers that fell due ran."),
    "registered": N_("Welcome to Tradewind."),
    "preferences": N_("Your language and region were saved."),
    "picture": N_("The picture was added."),
    "evidence": N_("The evidence was sent to the processor. The card network decides next."),
    "mismatch_resolved": N_("The mismatch was marked resolved."),
    "mismatch_refunded": N_("The held capture is being refunded to the buyer."),
    "claimed": N_(
        "Claimed: the units are held for you until the time below. Pay before it runs out."
    ),
    "waitlist": N_("You joined the waitlist."),
    "promotion_created": N_("The promotion was created."),
    "promotion_ended": N_("The promotion was ended: checkouts no longer apply it."),
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
    "coupon_not_found": N_("There is no coupon with this code."),
    "coupon_not_applicable": N_(
        "This coupon does not apply to this cart (its shop, minimum spend or dates)."
    ),
    "coupon_exhausted": N_("This coupon has been used up."),
    "coupon_limit_reached": N_("You have already used this coupon."),
    "promotion_ended": N_("This promotion has already ended."),
    "invalid_input": N_("Some of what you entered is not valid. Check the form and try again."),
    "forbidden": N_("You are not allowed to do this."),
    "role_required": N_("Your account cannot use this page."),
    "permission_required": N_(
        "Your staff role does not include this. An admin can do it, or change your role."
    ),
    "not_found": N_("We could not find what you were looking for."),
    "conflict": N_("This changed in the meantime. Reload the page and try again."),
    "illegal_transition": N_("This cannot be done in the order's current state."),
    "out_of_stock": N_("There is not enough stock left for this."),
    "limit_exceeded": N_("This is over the limit allowed."),
    "too_many_requests": N_("Too many attempts. Wait a little and try again."),
    "email_taken": N_("An account with this email already exists."),
    "password_guessable": N_("This password is too easy to guess. Choose a longer one."),
    "password_weak": N_("This password is too easy to guess. Choose a longer one."),
    "password_length": N_("The password must be 10 to 256 characters long."),
    "currency_not_supported": N_("This currency is not offered here."),
    "csrf_failed": N_("Your form expired. Reload the page and try again."),
    "mismatch_resolved": N_("This mismatch was already resolved."),
    "invalid_text": N_("Write one line of 1 to 500 characters."),
    "bad_credentials": N_("The email or the password is wrong."),
    "wrong_password": N_("The current password is wrong."),
    "login_throttled": N_("Too many failed attempts. Wait a few minutes and try again."),
    "control_characters": N_("The text contains characters that cannot be used."),
    "message_too_long": N_("The message is too long."),
    "reason_required": N_("Give a reason."),
    "unknown_locale": N_("This language is not offered here."),
    "unknown_country": N_("Choose a country from the list."),
    "unknown_currency": N_("This is not a currency code we know."),
    "same_currency": N_("Choose two different currencies."),
    "invalid_rate": N_("Enter the rate as a plain positive number, such as 3.6712."),
    "fx_rate_invalid": N_("Enter the rate as a plain positive number, such as 3.6712."),
    "fx_rate_missing": N_("There is no exchange rate for this currency yet."),
    "invalid_spread": N_("Enter the spread as a whole number of basis points."),
    "valid_from_out_of_range": N_("The start time is too far from now."),
    "invalid_percent": N_("Enter a percentage from 0 to 100."),
    "invalid_amount": N_("Enter a whole number of minor units."),
    "not_a_number": N_("Enter a whole number in ASCII digits (0-9)."),
    "invalid_date": N_("Enter a valid date."),
    "empty_amendment": N_("Change at least one figure."),
    "effective_from_out_of_range": N_(
        "Choose a later day: rules for today and the past cannot change."
    ),
    "amendment_in_effect": N_("This amendment is already in effect and cannot be withdrawn."),
    "amendment_not_found": N_("This amendment does not exist."),
    "too_many_amendments": N_("There are too many amendments for this country."),
    "invalid_customs_rule": N_("The rule that would result is not valid."),
    "invalid_tracking_number": N_(
        "Enter an S10 tracking number: two letters, nine digits, two letters."
    ),
    "bad_check_digit": N_("The tracking number's check digit is wrong. Check for a typo."),
    "tracking_number_in_use": N_("This tracking number is already used for another parcel."),
    "invalid_address": N_("Check the address: some fields are missing or not valid."),
    "seller_not_active": N_("This shop is not active."),
    "no_shop": N_("Open a shop first."),
    "offer_unavailable": N_("This offer is no longer available."),
    "insufficient_stock": N_("There is not enough stock left for this."),
    "empty_cart": N_("Your cart is empty."),
    "quantity_limit": N_("This quantity is over the limit."),
    "too_many_lines": N_("Your cart has too many items."),
    "no_shipping_to_destination": N_("This shop does not deliver to your country."),
    "parcel_too_heavy": N_("The parcel is too heavy for this shipping service."),
    "checkout_not_payable": N_("This checkout can no longer be paid."),
    "checkout_not_cancellable": N_("This checkout can no longer be cancelled."),
    "invalid_refund_amount": N_("Enter a refund amount above zero and up to the order total."),
    "dispute_exists": N_("This order already has a dispute."),
    "already_rated": N_("You have already rated this order."),
    "already_extended": N_("The protection period was already extended once."),
    "too_early_to_extend": N_("You can extend the protection period when 3 days or fewer remain."),
    "case_already_decided": N_("This case was already decided."),
    "invalid_decision": N_("Choose a decision."),
    "sold_out": N_("Sold out."),
    "buyer_limit_reached": N_("You have bought as many as this sale allows."),
    "not_started": N_("This sale has not started yet."),
    "ended": N_("This sale has ended."),
    "product_exists": N_("A product with this barcode already exists."),
    "offer_exists": N_("You already have an offer for this product."),
    "seller_exists": N_("This account already has a shop."),
    "invalid_hs_code": N_("Enter a 6-digit HS code."),
    "invalid_weight": N_("Enter the weight in grams, as a whole number."),
    "not_an_image": N_("This file is not a picture."),
    "image_type_not_allowed": N_("Upload a JPEG, PNG or WebP picture."),
    "image_too_small": N_("The picture is too small."),
    "image_too_large": N_("The picture file is too large."),
    "image_too_many_pixels": N_("The picture has too many pixels."),
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


def field_text(error: FieldError) -> str:
    """One field's problem in the page's language: its message's translation, else the
    sentence for its code, else the page's generic one; the message itself in English."""
    own = _(error.message)
    if own != error.message or i18n.current_language() == i18n.DEFAULT_LANGUAGE:
        return own
    sentence = PROBLEM_DETAILS.get(str(error.code)) or PROBLEM_DETAILS[ProblemCode.INVALID_INPUT]
    return _(sentence)


def notification_text(row: Mapping[str, Any]) -> Markup:
    """A notification in the page's language, its values (parcel numbers) isolated in
    ``<bdi>`` and numbers formatted; its English subject when it predates messages."""
    message, values = row.get("message"), row.get("params") or {}
    if not message:
        return Markup.escape(str(row["subject"]))
    shown = {
        key: Markup("<bdi>{}</bdi>").format(_number(v) if isinstance(v, int) else v)
        for key, v in values.items()
    }
    try:
        return Markup.escape(_(message)) % shown if shown else Markup.escape(_(message))
    except (KeyError, TypeError, ValueError):  # a translation that no longer fits its values
        return Markup.escape(notifications.text_of(row))


templates.env.globals["problem_title"] = problem_title
templates.env.globals["notification_text"] = notification_text
templates.env.globals["field_text"] = field_text
templates.env.globals["problem_text"] = problem_text
# What each kind of discount line is called on pages (promotions.domain.Kind).
templates.env.globals["DISCOUNT_KINDS"] = {
    "item_discount": N_("item discount"),
    "store_promotion": N_("shop promotion"),
    "store_coupon": N_("shop coupon"),
    "platform_coupon": N_("marketplace coupon"),
}


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
    # taxes (customs.rules.Tax)
    "duty": N_("duty"),
    "vat": N_("VAT"),
    "excise": N_("excise"),
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
    # payouts (requested, paid, refused by the processor, retried by an operator) and shops
    "requested": N_("requested"),
    "refused": N_("refused"),
    "retried": N_("retried"),
    "rejected": N_("rejected"),
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


_DISPUTE_REASONS = {"not_received", "not_as_described", "damaged", "wrong_item", "other"}


# Ledger transaction kinds (``ledger.domain.TxKind``) as the console names them.
LEDGER_KINDS = {
    "capture": N_("capture"),
    "release": N_("release to the seller"),
    "release_fx": N_("release to the seller, converted"),
    "refund_from_escrow": N_("refund from escrow"),
    "refund_after_payout": N_("refund after payout"),
    "refund_after_payout_fx": N_("refund after payout, converted"),
    "payout": N_("payout"),
    "receivable_netting": N_("netting of what the seller owes"),
    "reversal": N_("reversal"),
    "unapplied_capture": N_("capture held in suspense"),
    "unapplied_refund": N_("refund held in suspense"),
    "processor_fee": N_("processor fee"),
}


def _ledger_kind(value: object) -> str:
    raw = str(getattr(value, "value", value))
    return _(LEDGER_KINDS[raw]) if raw in LEDGER_KINDS else raw.replace("_", " ")


def _tracking(value: object) -> str:
    raw = str(getattr(value, "value", value))
    return _(TRACKING_LABELS[raw]) if raw in TRACKING_LABELS else raw


def _scan(event: Mapping[str, Any]) -> str:
    """A tracking event in words: the UPU meaning of its code in the page's language (what the
    post did, e.g. "Arrival at delivery office"), else its status's (the carrier's own
    description is English)."""
    known = EVENT_CODES.get(str(event.get("code", "")))
    return _(known.description) if known else _tracking(event.get("status", ""))


def _event(value: object) -> str:
    raw = str(getattr(value, "value", value))
    return _(EVENT_LABELS[raw]) if raw in EVENT_LABELS else raw.replace("_", " ")


# What the system writes in an order's history (``order_events.note``): English records, shown
# in words in the page's language; the values inside stay data. Anything else there is what a
# person wrote (a cancellation reason, an operator's note) and is shown as they wrote it.
HISTORY_NOTES = {
    "buyer confirmed receipt": N_("the buyer confirmed receipt"),
    "buyer protection period ended": N_("the buyer protection period ended"),
    "after-sales window closed": N_("the after-sales window closed"),
    "the seller did not ship by the deadline": N_("the seller did not ship by the deadline"),
    "payment did not arrive in time": N_("the payment did not arrive in time"),
    "cancelled by the buyer": N_("cancelled by the buyer"),
    "cancelled by the seller": N_("cancelled by the seller"),
    "the seller did not respond in time": N_("the seller did not respond in time"),
}
_HISTORY_PATTERNS = (
    (re.compile(r"payment (\S+)"), N_("payment reference %(value)s")),
    (re.compile(r"shipped (\S+)"), N_("tracking number %(value)s")),
    (
        re.compile(r"parcel (\S+) was returned to the sender"),
        N_("parcel %(value)s went back to the sender"),
    ),
    (
        re.compile(r"tracking expired: no events for (\d+) days"),
        N_("no news of the parcel for %(value)s days"),
    ),
)


def history_note(note: str | None) -> Markup:
    """An order history note in the page's language: a system record in words (its values in
    ``<bdi>``), a dispute reason by its label, else a person's own words, isolated as written."""
    if not note:
        return Markup("")
    if note in HISTORY_NOTES:
        return Markup.escape(_(HISTORY_NOTES[note]))
    if note in _DISPUTE_REASONS:
        return Markup.escape(_(EVENT_LABELS[note]))
    for pattern, message in _HISTORY_PATTERNS:
        if found := pattern.fullmatch(note):
            value = found.group(1)
            shown = _number(int(value)) if value.isdigit() else value
            return Markup.escape(_(message)) % {"value": Markup("<bdi>{}</bdi>").format(shown)}
    return Markup('<bdi dir="auto">{}</bdi>').format(note)


def _category(value: str | None) -> str:
    """A category name in the page's language when the catalog gave it (``Laptops``); a
    seller's own category is data and shown as written."""
    if not value:
        return ""
    return _(value) if value in CATEGORY_NAMES else value


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


def _day(value: date | datetime | str | None) -> str:
    """A day in the page's locale; a stored ISO day (``2027-01-31``) too."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
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


def _number(value: int | float | None, places: int | None = None) -> str:
    """``{{ n | number }}``; ``{{ rating | number(1) }}`` shows exactly one decimal (3.0)."""
    if value is None:
        return ""
    pattern = None if places is None else "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(value, format=pattern, locale=viewer_locale())


def _percent(value: Decimal | int | str | None) -> str:
    """A percentage given in percent (``17.5`` is ``17.5%``, ``17.5%``, ``17.5%``)."""
    if value is None:
        return ""
    return format_percent(Decimal(value) / 100, "#,##0.####%", locale=viewer_locale())


def _major(amount_minor: int, currency: str) -> str:
    """An amount as a plain decimal for form fields (``1250`` USD is ``12.50``), no symbols."""
    return str(Money(int(amount_minor), currency).to_decimal())


FSI, PDI = "\u2068", "\u2069"  # Unicode's first-strong isolate and its end


def _isolate(text: object) -> str:
    """User content (a shop's or a person's name, a title) where markup cannot isolate it
    (an ``<option>``, ``<title>``, an attribute): between FSI and PDI, so a Latin name keeps
    its order in a Hebrew sentence. English pages get the text as it is (their tests match
    labels exactly, and Latin in English needs no isolation)."""
    value = "" if text is None else str(text)
    if not value or locale.current().language == "en":
        return value
    return f"{FSI}{value}{PDI}"


def _bdi(text: object) -> Markup:
    """User content inside a sentence of ours, in markup: ``<bdi>`` (escaped)."""
    return Markup("<bdi>{}</bdi>").format("" if text is None else text)


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
templates.env.filters["percent"] = _percent
templates.env.filters["label"] = _label
templates.env.filters["tracking"] = _tracking
templates.env.filters["event"] = _event
templates.env.filters["category"] = _category
templates.env.filters["ledger_kind"] = _ledger_kind
templates.env.filters["scan"] = _scan
templates.env.filters["history_note"] = history_note
templates.env.filters["isolate"] = _isolate
templates.env.filters["bdi"] = _bdi


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    key = request.query_params.get("notice", "")
    notice = _(NOTICES[key]) if key in NOTICES else None
    return render_template(request, name, {"notice": notice, **context}, status_code)


def need(principal: Principal | None, *allowed: Role | Permission) -> Principal:
    """The signed-in principal (or the login page), optionally limited to roles or to one staff
    permission (403): the pages' side of the check the API makes with ``require_permission``."""
    if principal is None:
        raise Unauthenticated("log in to see this page", code=ProblemCode.UNAUTHENTICATED)
    roles = [a for a in allowed if isinstance(a, Role)]
    if roles:
        require_role(principal, *roles)
    for permission in allowed:
        if isinstance(permission, Permission):
            require_permission(principal, permission)
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


# The filters above, for page code that builds text before the template (chart labels).
money_text = _money
number_text = _number
when_text = _when


def percent_text(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage in the page's locale (``2.5%``, ``2,5 %``); empty
    when there is no whole to be a share of."""
    if not whole:
        return ""
    return format_percent(part / whole, "#,##0.0%", locale=viewer_locale())
