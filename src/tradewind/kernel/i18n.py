"""The page's language, and gettext bound to it.

One context variable holds the language of the page being built (``en``, ``he``,
``zh_Hans``); the web layer sets it once per request (``tradewind.web.locale.apply``) and
everything that speaks to people during that request (templates, page code, problem texts,
the seller CSV report) calls :func:`gettext` / :func:`ngettext`, which look the message up in
that language's catalog. Code outside a request (the worker, the CLI) speaks the site default
unless it sets a language itself (``use_language``), e.g. for a notification's recipient.

Catalogs are the ``.po`` files under ``tradewind/locale/<lang>/LC_MESSAGES/messages.po``,
compiled in memory the first time a language is used: there is no build step and no binary
``.mo`` in the repository. Fuzzy and empty entries fall back to the English message id.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "en"
# The interface languages, the source language first. Each but ``en`` has a catalog.
LANGUAGES = ("en", "he", "zh_Hans")
# Right-to-left scripts among them.
RTL_LANGUAGES = frozenset({"he"})
# The language's name in itself, for the switcher.
LANGUAGE_NAMES = {"en": "English", "he": "עברית", "zh_Hans": "简体中文"}
# The language tag for <html lang> (BCP 47: a hyphen, not Babel's underscore).
HTML_LANG = {"en": "en", "he": "he", "zh_Hans": "zh-Hans", "de": "de"}
# The locale whose formats (numbers, dates) go with a language when the account names none.
FORMAT_LOCALES = {"en": "en_US", "he": "he_IL", "zh_Hans": "zh_Hans_CN", "de": "de_DE"}
# A test-only language: every message wrapped in ⟦…⟧, so a string that bypassed gettext shows.
PSEUDO_LANGUAGE = "qps"

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("tradewind_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    return _language.get()


def is_rtl(language: str | None = None) -> bool:
    return (language or current_language()) in RTL_LANGUAGES


@contextmanager
def use_language(language: str) -> Iterator[str]:
    """Speak ``language`` (one of :data:`LANGUAGES`, else the default) inside the block."""
    chosen = language if language in LANGUAGES or language == PSEUDO_LANGUAGE else DEFAULT_LANGUAGE
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def set_language(language: str) -> None:
    """Set the language for the rest of this context (a request's thread or task)."""
    ok = language in LANGUAGES or language == PSEUDO_LANGUAGE
    _language.set(language if ok else DEFAULT_LANGUAGE)


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


class _Pseudo(_gettext.NullTranslations):
    """Wraps every translated message so a test can tell it from text that skipped gettext."""

    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return f"⟦{msgid1 if n == 1 else msgid2}⟧"

    def pgettext(self, context: str, message: str) -> str:
        return f"⟦{message}⟧"

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return f"⟦{msgid1 if n == 1 else msgid2}⟧"


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language`` (read once per process)."""
    if language == PSEUDO_LANGUAGE:
        return _Pseudo()
    path = catalog_path(language)
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language.split("_")[0], domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_language.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message for extraction where it is defined; translate it with ``_()`` when shown."""
    return message


_ = gettext
