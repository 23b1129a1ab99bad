"""The Jinja2 environment shared by every server-rendered page.

Templates speak through gettext (``jinja2.ext.i18n``, new-style): ``{{ _("Cart") }}``,
``{{ _("Order %(id)s", id=order.id) }}`` (placeholders are escaped),
``{{ ngettext("%(num)d item", "%(num)d items", n) }}``, or ``{% trans %}`` blocks. The callables
read the page's language from ``tradewind.kernel.i18n``, set per request by ``web.locale``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tradewind import __version__
from tradewind.kernel import i18n
from tradewind.web import locale

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.globals["version"] = __version__
templates.env.globals["page_locale"] = locale.current
templates.env.globals["languages"] = i18n.LANGUAGE_NAMES
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext,
    ngettext=i18n.ngettext,
    pgettext=i18n.pgettext,
    npgettext=i18n.npgettext,
    newstyle=True,
)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    # The page's principal, else whoever the request resolved (a page that shows no account,
    # such as the sandbox processor's, still speaks its reader's language).
    locale.apply(request, context.get("principal") or getattr(request.state, "principal", None))
    return templates.TemplateResponse(request, name, context, status_code=status_code)
