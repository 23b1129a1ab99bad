"""Security headers on every answer, decided once per request without touching the database.

The Content-Security-Policy is one the pages satisfy: scripts only from /static (no inline
script or handler anywhere in the templates; JSON-LD is a data block, which CSP does not run),
styles only from /static, images from the site and https (catalog images live on their makers'
hosts), no framing. The interactive API docs at /docs load Swagger UI, which needs its CDN and
one inline script, so only that page gets a looser policy.

``Cache-Control: no-store`` goes on every answer to a request that carries credentials (a bearer
token or the session cookie): a shared cache or the browser's back button must never show one
person's orders, balances or tokens to another. An answer that sets its own Cache-Control keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Header = tuple[bytes, bytes]

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
_SESSION_COOKIE = b"tw_session="


class SecurityHeaders:
    def __init__(self, *, hsts: bool = False) -> None:
        common: list[Header] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:  # only when the public URL is https: a browser then refuses plain http
            common.append((b"strict-transport-security", b"max-age=31536000"))
        self._page = [*common, (b"content-security-policy", PAGE_POLICY.encode())]
        self._docs = [*common, (b"content-security-policy", DOCS_POLICY.encode())]
        self._private = [(b"cache-control", b"no-store"), (b"vary", b"Cookie, Authorization")]

    def for_request(self, path: str, headers: Mapping[bytes, bytes]) -> list[Header]:
        chosen = self._docs if path in _DOCS_PATHS else self._page
        if b"authorization" in headers or _SESSION_COOKIE in headers.get(b"cookie", b""):
            return [*chosen, *self._private]
        return chosen

    @staticmethod
    def merge(own: Iterable[Header], extra: Iterable[Header]) -> list[Header]:
        """The answer's own headers, then each extra one the answer did not set itself."""
        result = list(own)
        present = {name.lower() for name, _ in result}
        result.extend(h for h in extra if h[0] not in present)
        return result
