"""Identity hardening over real HTTP, on SQLite and PostgreSQL.

Each check a refusal makes also proves the refused request changed nothing (the accounts and
API token rows before and after). Real server processes share the test's database; the
in-thread uvicorn server is used where the test must instrument the password hasher.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import PASSWORD, assert_problem
from tests.support.server import ServerProcess
from tradewind.bench.harness import free_port
from tradewind.bootstrap import Container, build
from tradewind.db.tables.identity import accounts, api_tokens
from tradewind.identity import service as identity_service
from tradewind.kernel.clock import ManualClock
from tradewind.seed import seed_accounts
from tradewind.web.app import create_app

ADDRESS = {
    "full_name": "Noa Levi",
    "line1": "1 Herzl St",
    "city": "Tel Aviv",
    "postal_code": "6100000",
    "country": "IL",
}
PROXY = {"TRADEWIND_TRUSTED_PROXIES": '["127.0.0.1"]'}


def _rows(container: Container) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with container.uow(read_only=True) as uow:
        people = uow.conn.execute(select(accounts).order_by(accounts.c.id)).all()
        tokens = uow.conn.execute(select(api_tokens).order_by(api_tokens.c.token_hash)).all()
    return [tuple(r) for r in people], [tuple(r) for r in tokens]


def _signup(http: httpx.Client, email: str, **extra: Any) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, "display_name": "Noa", "country": "IL"}
    return http.post("/api/v1/accounts", json={**body, **extra})


def _bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@contextmanager
def _servers(
    db_url: str, tmp_path: Path, count: int, env: dict[str, str] | None = None
) -> Iterator[list[httpx.Client]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    procs = [
        ServerProcess(db_url, command="serve", env=env, log_path=tmp_path / f"server-{i}.log")
        for i in range(count)
    ]
    clients: list[httpx.Client] = []
    try:
        for proc in procs:
            proc.start()
        clients = [httpx.Client(base_url=p.base_url, timeout=30) for p in procs]
        yield clients
    finally:
        for client in clients:
            client.close()
        for proc in procs:
            proc.stop()


# -- 1. no password hash inside a write transaction --------------------------------------------


@contextmanager
def _uvicorn(container: Container) -> Iterator[httpx.Client]:
    """The app on a real socket in this process, so the test can hold its password hasher."""
    port = free_port()
    config = uvicorn.Config(
        create_app(container, access_log=False), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class _Held:
    """Wraps a hasher function: records the database connections checked out when it runs,
    then (if ``hold``) waits until released, so another request runs while it 'hashes'."""

    def __init__(self, container: Container, inner: Callable[..., Any], hold: bool = True) -> None:
        self.container = container
        self.inner = inner
        self.hold = hold
        self.entered = threading.Event()
        self.release = threading.Event()
        self.checked_out: list[int] = []

    def __call__(self, *args: Any) -> Any:
        self.checked_out.append(self.container.engine.pool.checkedout())
        self.entered.set()
        if self.hold:
            assert self.release.wait(30)
        return self.inner(*args)


def _write_completes_while_held(
    http: httpx.Client, held: _Held, request: Callable[[], httpx.Response], buyer: dict[str, str]
) -> httpx.Response:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(request)
        assert held.entered.wait(20), "the hasher was never called"
        # An unrelated write over HTTP while the hash is held: it must not queue behind it.
        write = http.post("/api/v1/addresses", json=ADDRESS, headers=buyer, timeout=5)
        held.release.set()
        answer = pending.result(timeout=30)
    assert write.status_code == 201, write.text
    assert held.checked_out == [0], "a database connection was held during the password hash"
    return answer


def test_password_hashing_never_holds_a_transaction(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_verify, real_hash = identity_service.verify_password, identity_service.hash_password
    with _uvicorn(container) as http:
        buyer = _bearer(_signup(http, "noa@example.com"))
        other = _bearer(
            http.post("/api/v1/tokens", json={"email": "noa@example.com", "password": PASSWORD})
        )
        assert http.get("/api/v1/me", headers=other).status_code == 200

        held = _Held(container, real_verify)
        monkeypatch.setattr(identity_service, "verify_password", held)
        wrong = {"email": "noa@example.com", "password": "not-the-password"}
        login = _write_completes_while_held(
            http, held, lambda: http.post("/api/v1/tokens", json=wrong), buyer
        )
        assert_problem(login, 401, "bad_credentials")

        held = _Held(container, real_hash)
        monkeypatch.setattr(identity_service, "hash_password", held)
        signup = _write_completes_while_held(
            http, held, lambda: _signup(http, "dan@example.com"), buyer
        )
        assert signup.status_code == 201, signup.text

        held = _Held(container, real_verify)
        monkeypatch.setattr(identity_service, "verify_password", held)
        new_hash = _Held(container, real_hash, hold=False)
        monkeypatch.setattr(identity_service, "hash_password", new_hash)
        change = {"current_password": PASSWORD, "new_password": "violet-otter-lantern-92"}
        changed = _write_completes_while_held(
            http,
            held,
            lambda: http.post("/api/v1/me/password", json=change, headers=buyer),
            buyer,
        )
        assert changed.status_code == 204, changed.text
        assert new_hash.checked_out == [0]
        assert http.get("/api/v1/me", headers=buyer).status_code == 200  # the one in use
        assert_problem(http.get("/api/v1/me", headers=other), 401, "bad_token")
    relogin = {"email": "noa@example.com", "password": "violet-otter-lantern-92"}
    with _uvicorn(container) as http:
        assert http.post("/api/v1/tokens", json=relogin).status_code == 201


# -- 2 and 4. currencies, profile changes, password strength ------------------------------------


def test_signup_rules_and_profile_changes(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    with _servers(db_url, tmp_path, 1) as (http,):
        noa = _bearer(_signup(http, "noa@example.com"))
        before = _rows(container)
        for currency in ("usd", "ZZZ", "XXX", "XTS", "CLF", "BRL"):
            refused = _signup(http, "dan@example.com", currency=currency)
            body = assert_problem(refused, 422, "currency_not_supported")
            assert body["errors"][0]["field"] == "currency"
        guessable = {
            "password": "password123",
            "tradewind": "Tradewind2026!",
            "tradewind-demo": "tradewind-demo",
            "email": "dan@example.com",
            "local part": "dan.dan.dan",
        }
        for why, password in guessable.items():
            refused = _signup(http, "dan@example.com", password=password)
            body = assert_problem(refused, 422, "invalid_input")
            assert body["errors"][0]["field"] == "password", why
            assert body["errors"][0]["code"] in {"password_weak", "password_guessable"}, why
        assert _rows(container) == before

        assert http.get("/api/v1/me", headers=noa).json()["currency"] == "ILS"  # cached now
        for change, code in (
            ({"currency": "XXX"}, "currency_not_supported"),
            ({"country": "XX"}, "invalid_input"),
            ({"display_name": "   "}, "invalid_input"),
            ({"locale": "klingon!"}, "invalid_input"),
        ):
            assert_problem(http.patch("/api/v1/me", json=change, headers=noa), 422, code)
        assert _rows(container) == before
        change = {"currency": "EUR", "country": "DE", "display_name": "Noa L", "locale": "de_DE"}
        changed = http.patch("/api/v1/me", json=change, headers=noa)
        assert changed.status_code == 200, changed.text
        me = http.get("/api/v1/me", headers=noa).json()
        assert {k: me[k] for k in change} == change

        # A country whose currency has no FX here defaults to the first supported currency.
        assert _signup(http, "bia@example.com", country="BR").json()["account"]["currency"] == (
            "USD"
        )
        # The seed bypasses the policy on purpose: the demo accounts keep the demo password.
        assert seed_accounts(container) == 7
        demo = {"email": "buyer@tradewind.test", "password": "tradewind-demo"}
        assert http.post("/api/v1/tokens", json=demo).status_code == 201


# -- 3. tokens: expiry, listing, revocation on every process at once ----------------------------


def test_tokens_are_listed_revoked_and_dead_on_every_process(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    with _servers(db_url, tmp_path, 2) as (a, b):
        noa = _bearer(_signup(a, "noa@example.com"))
        dan = _bearer(_signup(a, "dan@example.com"))
        login = {"email": "noa@example.com", "password": PASSWORD, "name": "laptop"}
        laptop = _bearer(a.post("/api/v1/tokens", json=login))

        listed = b.get("/api/v1/tokens", headers=noa)
        assert listed.status_code == 200
        items = listed.json()["items"]
        assert [i["name"] for i in items] == ["laptop", "api"]
        assert set(items[0]) == {"id", "name", "created_at", "expires_at"}
        assert laptop["Authorization"][7:] not in listed.text
        for item in items:
            lifetime = _parse(item["expires_at"]) - _parse(item["created_at"])
            assert lifetime == timedelta(days=30)
        laptop_id = items[0]["id"]

        assert b.get("/api/v1/me", headers=laptop).status_code == 200  # B caches it
        before = _rows(container)
        assert_problem(b.delete(f"/api/v1/tokens/{laptop_id}", headers=dan), 404, "not_found")
        assert_problem(b.delete("/api/v1/tokens/tok_nope", headers=noa), 404, "not_found")
        assert _rows(container) == before

        assert a.delete(f"/api/v1/tokens/{laptop_id}", headers=noa).status_code == 204
        assert_problem(b.get("/api/v1/me", headers=laptop), 401, "bad_token")
        assert_problem(a.get("/api/v1/me", headers=laptop), 401, "bad_token")
        assert a.delete(f"/api/v1/tokens/{laptop_id}", headers=noa).status_code == 204
        assert [i["name"] for i in a.get("/api/v1/tokens", headers=noa).json()["items"]] == ["api"]

        assert a.get("/api/v1/me", headers=noa).status_code == 200  # A caches it
        assert b.post("/api/v1/logout", headers=noa).status_code == 204
        assert_problem(a.get("/api/v1/me", headers=noa), 401, "bad_token")
        assert b.get("/api/v1/me", headers=dan).status_code == 200


def _parse(raw: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(raw)


def test_api_tokens_expire(container: Container, clock: ManualClock) -> None:
    with TestClient(create_app(container, access_log=False)) as client:
        noa = _bearer(_signup(client, "noa@example.com"))
        assert client.get("/api/v1/me", headers=noa).status_code == 200
        ttl = timedelta(days=container.settings.api_token_ttl_days)
        clock.advance(ttl - timedelta(seconds=1))
        assert client.get("/api/v1/me", headers=noa).status_code == 200  # cached from now on
        clock.advance(timedelta(seconds=1))
        assert_problem(client.get("/api/v1/me", headers=noa), 401, "bad_token")


# -- 5. login throttling ------------------------------------------------------------------------


def _login(http: httpx.Client, email: str, password: str, client_ip: str) -> httpx.Response:
    return http.post(
        "/api/v1/tokens",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": client_ip},
    )


def test_account_backoff_is_short_and_shared_by_every_process(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    env = {**PROXY, "TRADEWIND_LOGIN_MAX_FAILURES": "3", "TRADEWIND_LOGIN_BACKOFF_MAX_S": "4"}
    with _servers(db_url, tmp_path, 2, env) as (a, b):
        assert _signup(a, "noa@example.com").status_code == 201
        # An attacker on process A, each try from another address, waiting out each delay:
        # 3 free failures, then 1 s, 2 s, 4 s (the cap) between tries.
        for i in range(5):
            wrong = _login(a, "noa@example.com", "guess-1234", f"203.0.113.{i}")
            assert_problem(wrong, 401, "bad_credentials")
            if i >= 2:
                time.sleep(2 ** (i - 2) + 0.1)
        wrong = _login(a, "noa@example.com", "guess-1234", "203.0.113.9")
        assert_problem(wrong, 401, "bad_credentials")
        before = _rows(container)
        owner = _login(b, "noa@example.com", PASSWORD, "198.51.100.2")  # the owner, on B
        assert_problem(owner, 429, "login_throttled")
        retry_after_s = int(owner.headers["retry-after"])
        assert 1 <= retry_after_s <= 4  # capped at TRADEWIND_LOGIN_BACKOFF_MAX_S
        assert_problem(_login(a, "noa@example.com", "guess", "203.0.113.9"), 429, "login_throttled")
        assert _rows(container) == before
        time.sleep(retry_after_s + 0.1)
        assert _login(b, "noa@example.com", PASSWORD, "198.51.100.2").status_code == 201
        # The owner's success ended the backoff: the next mistake is free again.
        typo = _login(a, "noa@example.com", "typo-typo", "198.51.100.2")
        assert_problem(typo, 401, "bad_credentials")


def test_client_address_limit_holds_across_processes_and_accounts(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    env = {**PROXY, "TRADEWIND_LOGIN_CLIENT_MAX_FAILURES": "5"}
    with _servers(db_url, tmp_path, 2, env) as (a, b):
        assert _signup(a, "noa@example.com").status_code == 201
        emails = [f"victim{i}@example.com" for i in range(20)]

        async def spray() -> list[int]:
            async with (
                httpx.AsyncClient(base_url=str(a.base_url), timeout=60) as xa,
                httpx.AsyncClient(base_url=str(b.base_url), timeout=60) as xb,
            ):
                tries = [
                    (xa if i % 2 else xb).post(
                        "/api/v1/tokens",
                        json={"email": email, "password": "guess-1234"},
                        headers={"X-Forwarded-For": "203.0.113.7"},
                    )
                    for i, email in enumerate(emails)
                ]
                return [r.status_code for r in await asyncio.gather(*tries)]

        with ThreadPoolExecutor(max_workers=1) as pool:
            statuses = pool.submit(asyncio.run, spray()).result()
        assert Counter(statuses) == {401: 5, 429: 15}  # exactly the limit, never more
        before = _rows(container)
        blocked = _login(b, "noa@example.com", PASSWORD, "203.0.113.7")
        assert_problem(blocked, 429, "login_throttled")
        assert 890 <= int(blocked.headers["retry-after"]) <= 900
        assert _rows(container) == before
        # Another address, and the owner, are not affected.
        assert _login(a, "noa@example.com", PASSWORD, "198.51.100.2").status_code == 201


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    container: Container, db_url: str
) -> None:
    settings = container.settings.model_copy(update={"login_client_max_failures": 2})
    strict = build(settings, clock=container.clock)
    with TestClient(create_app(strict, access_log=False)) as c:
        for i in range(2):
            spoofed = {"X-Forwarded-For": f"203.0.113.{i}"}
            wrong = {"email": f"v{i}@example.com", "password": "guess-1234"}
            assert c.post("/api/v1/tokens", json=wrong, headers=spoofed).status_code == 401
        third = c.post(
            "/api/v1/tokens",
            json={"email": "v3@example.com", "password": "guess-1234"},
            headers={"X-Forwarded-For": "203.0.113.99"},
        )
        assert_problem(third, 429, "login_throttled")
    strict.engine.dispose()


def test_an_attacker_who_keeps_going_gets_no_free_tries_back(container: Container) -> None:
    """An account's streak ends a window after its *last* attempt, not its first."""
    settings = container.settings.model_copy(update={"login_client_max_failures": 1000})
    clock = container.clock
    assert isinstance(clock, ManualClock)
    patient = build(settings, clock=clock)
    wrong = {"email": "noa@example.com", "password": "guess-1234"}
    with TestClient(create_app(patient, access_log=False)) as c:
        assert _signup(c, "noa@example.com").status_code == 201
        for _ in range(3):
            assert_problem(c.post("/api/v1/tokens", json=wrong), 401, "bad_credentials")
        for _ in range(30):  # every 31 s, past the 30 s cap, for 930 s > the 900 s window
            clock.advance(timedelta(seconds=31))
            assert_problem(c.post("/api/v1/tokens", json=wrong), 401, "bad_credentials")
        again = c.post("/api/v1/tokens", json=wrong)
        assert_problem(again, 429, "login_throttled")
        assert again.headers["retry-after"] == "30"
    patient.engine.dispose()


# -- 6. cookies ---------------------------------------------------------------------------------


def _form_login(base_url: str, email: str, password: str) -> httpx.Response:
    """Without a cookie jar: a Secure cookie would not be sent back over plain http."""
    page = httpx.get(f"{base_url}/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    form = {"email": email, "password": password, "csrf_token": match.group(1), "next": "/"}
    cookie = {"Cookie": f"tw_login_csrf={match.group(1)}"}
    return httpx.post(f"{base_url}/login", data=form, headers=cookie, follow_redirects=False)


def test_session_cookie_flags_and_web_logout(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    with (
        _servers(db_url, tmp_path / "http", 1) as (plain,),
        _servers(db_url, tmp_path / "https", 1, _HTTPS) as (behind_tls,),
    ):
        assert _signup(plain, "noa@example.com").status_code == 201
        for http, secure in ((plain, False), (behind_tls, True)):
            base_url = str(http.base_url).rstrip("/")
            logged_in = _form_login(base_url, "noa@example.com", PASSWORD)
            assert logged_in.status_code == 303, logged_in.text
            cookie = next(
                v
                for k, v in logged_in.headers.multi_items()
                if k == "set-cookie" and "tw_session=" in v
            )
            flags = {part.strip().lower() for part in cookie.split(";")[1:]}
            assert {"httponly", "samesite=lax"} <= flags
            assert ("secure" in flags) is secure
            session = cookie.split(";")[0].split("=", 1)[1]
            jar = {"Cookie": f"tw_session={session}"}
            assert httpx.get(f"{base_url}/api/v1/me", headers=jar).status_code == 200
            csrf = _session_csrf(container, session)
            out = httpx.post(f"{base_url}/logout", headers={**jar, "X-CSRF-Token": csrf})
            assert out.status_code == 303
            gone = httpx.get(f"{base_url}/api/v1/me", headers=jar)
            assert_problem(gone, 401, "unauthenticated")


_HTTPS = {"TRADEWIND_PUBLIC_BASE_URL": "https://shop.example"}


def _session_csrf(container: Container, secret: str) -> str:
    with container.uow(read_only=True) as uow:
        principal = identity_service.principal_from_session(uow, secret)
    assert principal is not None
    assert principal.csrf_token is not None
    return principal.csrf_token


def test_a_revoked_token_cannot_claim_in_a_flash_sale(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    """The claim writer resolves tokens itself (flash/_buyers.py), not through the cache."""
    from tests.integration.test_flash_api import Market
    from tests.support.market import list_product, open_shop, operator_headers
    from tradewind.db.tables.flash import flash_claims

    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "flash.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1999, stock=7, title="Hot phone")
    market = Market(client, container, clock, ops, shop, offer_id)
    sale = market.create_sale()
    buyer = market.buyer("ann")
    assert client.post("/api/v1/logout", headers=buyer).status_code == 204
    before = _rows(container)
    refused = market.claim(sale["id"], buyer, "claim-1")
    assert_problem(refused, 401, "bad_token")
    assert _rows(container) == before
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(flash_claims)).first() is None
