"""The language a reader wants product content in (titles, descriptions), for pages.

The page's own locale decides when the i18n layer has negotiated one for this request
(``request.state.page_locale``); before that, the same sources in the same order: the
language cookie the switcher sets, then ``Accept-Language``, then English.
"""

from __future__ import annotations

from fastapi import Request

from tradewind.kernel.languages import DEFAULT_LANGUAGE, content_language

LANG_COOKIE = "tw_lang"
MAX_ACCEPT_LANGUAGE_CHARS = 1000


def reader_language(request: Request) -> str:
    page_locale = getattr(request.state, "page_locale", None)
    found = content_language(getattr(page_locale, "language", None))
    if found:
        return found
    found = content_language(request.cookies.get(LANG_COOKIE))
    if found:
        return found
    accept = request.headers.get("accept-language", "")[:MAX_ACCEPT_LANGUAGE_CHARS]
    ranked = []
    for index, part in enumerate(accept.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        language = content_language(tag)
        if language and q > 0:
            ranked.append((-q, index, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE
