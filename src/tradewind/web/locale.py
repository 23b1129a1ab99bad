"""One locale per page: which language, formats, region and time zone a page speaks.

Negotiation (decision 29): the account's language (``accounts.locale``), else the visitor's
choice (the ``tw_lang`` cookie set by the switcher), else ``Accept-Language``, else the site
default. Region (delivery country and currency): the account's, else the visitor's choice (the
``tw_region`` cookie), else the one that goes with the page language. Time zone: the account's,
else its delivery country's.

``apply(request, principal)`` works it out once, binds gettext to the language
(``tradewind.kernel.i18n``) and keeps the whole :class:`PageLocale` in a context variable for
the template filters (money, dates, countries), so every part of a page agrees.
"""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from fastapi import Request

from tradewind.identity.domain import Principal
from tradewind.kernel import i18n

LANG_COOKIE = "tw_lang"
REGION_COOKIE = "tw_region"  # "IL-ILS": delivery country and currency of a visitor
MAX_ACCEPT_LANGUAGE = 30  # entries of Accept-Language looked at; the rest are ignored

# A visitor who chose nothing sees the region that goes with the page's language.
DEFAULT_REGIONS = {
    "en": ("US", "USD"),
    "he": ("IL", "ILS"),
    "zh_Hans": ("CN", "CNY"),
    "de": ("DE", "EUR"),
}
# Countries spanning several zones: the zone most of their people live in.
PRIMARY_ZONES = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "MX": "America/Mexico_City",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
}
_REGION_RE = re.compile(r"^([A-Z]{2})-([A-Z]{3})$")
_TAG_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True, slots=True)
class PageLocale:
    language: str  # one of i18n.LANGUAGES
    format_locale: str  # Babel locale for numbers and dates (he_IL)
    country: str  # delivery country
    currency: str
    time_zone: str  # IANA name

    @property
    def html_lang(self) -> str:
        return i18n.HTML_LANG.get(self.language, self.language)

    @property
    def direction(self) -> str:
        return "rtl" if i18n.is_rtl(self.language) else "ltr"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


DEFAULT = PageLocale("en", "en_US", "US", "USD", "America/New_York")
_page: ContextVar[PageLocale] = ContextVar("tradewind_page_locale", default=DEFAULT)


def current() -> PageLocale:
    return _page.get()


def language_of(tag: str) -> str | None:
    """The interface language for a locale or language tag (``he_IL``, ``zh-CN``), if any."""
    try:
        parsed = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        traditional = parsed.script == "Hant" or parsed.territory in {"TW", "HK", "MO"}
        return None if traditional else "zh_Hans"
    return parsed.language if parsed.language in i18n.LANGUAGES else None


def accepted_languages(header: str) -> list[str]:
    """``Accept-Language`` tags in preference order (q-values, ties keep their order)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not _TAG_RE.match(tag):
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if q > 0:
            ranked.append((-q, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate_language(account_locale: str | None, cookie: str | None, accept_language: str) -> str:
    for candidate in (account_locale, cookie):
        found = language_of(candidate) if candidate else None
        if found:
            return found
    for tag in accepted_languages(accept_language):
        found = language_of(tag)
        if found:
            return found
    return i18n.DEFAULT_LANGUAGE


@functools.cache
def zone_for_country(country: str) -> str:
    if country in PRIMARY_ZONES:
        return PRIMARY_ZONES[country]
    zones: list[str] = get_global("territory_zones").get(country, [])
    return zones[0] if zones else "UTC"


def _format_locale(language: str, preferred: str | None) -> str:
    """The account's (or browser's) own locale when it is of the page language (en_GB), else
    the language's usual one, so a page never mixes languages."""
    if preferred and language_of(preferred) == language:
        try:
            return str(Locale.parse(preferred.replace("-", "_")))
        except (ValueError, UnknownLocaleError):
            pass
    return i18n.FORMAT_LOCALES.get(language, "en_US")


def visitor_region(request: Request, language: str) -> tuple[str, str]:
    match = _REGION_RE.match(request.cookies.get(REGION_COOKIE, ""))
    if match:
        return match.group(1), match.group(2)
    return DEFAULT_REGIONS.get(language, DEFAULT_REGIONS["en"])


def negotiate(request: Request, principal: Principal | None) -> PageLocale:
    cookie = request.cookies.get(LANG_COOKIE)
    accept = request.headers.get("accept-language", "")[:1000]
    if cookie == i18n.PSEUDO_LANGUAGE:
        # Test-only pseudo-locale: messages wrapped in ⟦…⟧, formats without Latin letters (zh),
        # so that any Latin word left on the page bypassed gettext or the filters.
        return PageLocale(i18n.PSEUDO_LANGUAGE, "zh_Hans_CN", "IL", "ILS", "Asia/Jerusalem")
    account_locale = principal.locale if principal else None
    language = negotiate_language(account_locale, cookie, accept)
    browser = next(iter(accepted_languages(accept)), None)
    fmt = _format_locale(language, account_locale or browser)
    if principal is not None:
        country, currency = principal.country, principal.currency
        zone = principal.time_zone or zone_for_country(country)
    else:
        country, currency = visitor_region(request, language)
        zone = zone_for_country(country)
    return PageLocale(language, fmt, country, currency, zone)


def apply(request: Request, principal: Principal | None) -> PageLocale:
    """Negotiate and bind for the rest of this request (its thread or task)."""
    chosen = negotiate(request, principal)
    _page.set(chosen)
    i18n.set_language(chosen.language)
    request.state.page_locale = chosen
    return chosen
