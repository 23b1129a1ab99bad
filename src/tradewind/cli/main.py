"""``tradewind``: serve, migrate, seed, demo, worker, config, i18n."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from tradewind.bootstrap import Container, build, report_handlers
from tradewind.config import Settings, load_settings
from tradewind.db.migrate import upgrade
from tradewind.identity import service as identity
from tradewind.identity.domain import Role, StaffRole
from tradewind.logs import configure_logging

app = typer.Typer(
    help="Tradewind marketplace engine.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _container(settings: Settings | None = None) -> Container:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    return build(settings)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest migration."""
    container = _container()
    upgrade(container.engine)
    typer.echo(f"database at head: {container.settings.database_url}")


@app.command()
def seed() -> None:
    """Load the demo data (idempotent: a second run changes nothing)."""
    from tradewind.seed import seed_demo

    container = _container()
    upgrade(container.engine)
    seed_demo(container)
    typer.echo("demo data seeded")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from config)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from config)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes")] = 1,
) -> None:
    """Serve the HTTP API and pages (run `tradewind worker` beside it for timers)."""
    # The app builds its settings from the environment in each server process, and webhook
    # URLs derive from host and port, so options given here must reach the environment.
    if host is not None:
        os.environ["TRADEWIND_HOST"] = host
    if port is not None:
        os.environ["TRADEWIND_PORT"] = str(port)
    settings = load_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "tradewind.web.asgi:app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Run due timers (holds, payment timeouts, auto-confirm, tracking expiry) until stopped."""
    from tradewind.worker import run_worker

    container = _container()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_worker(container, stop)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Migrate, seed (first run only) and serve the demo marketplace with an in-process worker."""
    from tradewind.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
    from tradewind.web.app import create_app
    from tradewind.worker import start_worker_thread

    overrides: dict[str, Any] = {"host": host, "port": port}  # webhooks come back here
    if "TRADEWIND_CLOCK" not in os.environ:
        overrides["clock"] = "manual"  # so the operator console can fast-forward the demo
    container = _container(Settings(**overrides))
    upgrade(container.engine)
    seed_demo(container)
    _thread, stop = start_worker_thread(container)
    typer.echo(
        f"Tradewind demo on http://{host}:{port}  (password for every demo account: "
        f"{DEMO_PASSWORD})"
    )
    for account in DEMO_ACCOUNTS:
        typer.echo(f"  {account.role.value:9} {account.email}")
    try:
        uvicorn.run(create_app(container), host=host, port=port, log_config=None, access_log=False)
    finally:
        stop.set()


import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("chorus")
def import_chorus_command(
    products: Annotated[
        Path, typer.Argument(help="Folder of Chorus *.json.zip files", exists=True, file_okay=False)
    ],
    report: Annotated[Path | None, typer.Option(help="Write every invalid EAN to this CSV")] = None,
) -> None:
    """Import the Chorus catalog with demo sellers and offers (idempotent)."""
    from tradewind.catalog.chorus_import import import_chorus
    from tradewind.seed import seed_fx

    container = _container()
    upgrade(container.engine)
    seed_fx(container)
    started = time.perf_counter()

    def progress(r: Any) -> None:
        typer.echo(
            f"  {r.products_seen:>6} read, {r.products_created:>6} products and "
            f"{r.offers_created:>6} offers created",
            err=True,
        )

    result = import_chorus(container.uow, products, progress=progress)
    if result.products_created:
        from tradewind.search import service as search

        with container.uow() as uow:
            indexed = search.reindex_all(uow)
            uow.commit()
        typer.echo(f"search index rebuilt: {indexed} products")
    typer.echo(f"products read: {result.products_seen}")
    typer.echo(f"products created: {result.products_created}")
    typer.echo(f"offers created: {result.offers_created}")
    typer.echo(f"invalid EANs: {len(result.invalid_eans)} (kept the product without them)")
    for source_id, ean in result.invalid_eans[:10]:
        typer.echo(f"  product {source_id}: {ean!r}")
    typer.echo(f"rejected products: {len(result.rejected)}")
    for source_id, why in result.rejected[:10]:
        typer.echo(f"  product {source_id}: {why}")
    if report is not None:
        with report.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["product_id", "problem", "value"])
            writer.writerows((p, "invalid_ean", e) for p, e in result.invalid_eans)
            writer.writerows((p, "rejected", w) for p, w in result.rejected)
    typer.echo(f"took {time.perf_counter() - started:.1f} s")


ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("check")
def ledger_check(
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Verify only what was written since the last clean run (a full run if none).",
        ),
    ] = False,
) -> None:
    """Verify every ledger invariant; exits 1 and lists each breach if any fails."""
    from tradewind.escrow.checks import run_ledger_check

    run = run_ledger_check(_container().uow, incremental=incremental)
    scope = f"{run.mode} run, {run.transactions_checked} transaction(s)"
    if run.breaches:
        for breach in run.breaches:
            typer.echo(f"BREACH: {breach}", err=True)
        typer.echo(f"ledger check failed ({scope}): {len(run.breaches)} breach(es)", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"ledger check passed ({scope}, verified through transaction "
        f"{run.through_transaction_id}): every invariant holds"
    )


i18n_app = typer.Typer(help="Interface translations (gettext catalogs).", no_args_is_help=True)
app.add_typer(i18n_app, name="i18n")


@i18n_app.command("update")
def i18n_update() -> None:
    """Extract every marked string and update each catalog (new entries untranslated)."""
    from tradewind.cli import catalogs

    for language, added in catalogs.update().items():
        typer.echo(f"{language}: {added} new message(s) to translate")


@i18n_app.command("check")
def i18n_check() -> None:
    """Exit 1 listing each stale entry, missing he/zh translation or placeholder mismatch."""
    from tradewind.cli import catalogs

    problems = catalogs.check()
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"catalog check failed: {len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("catalogs are current and complete")


@i18n_app.command("stats")
def i18n_stats() -> None:
    """The translated share of the interface per language."""
    from tradewind.cli import catalogs

    for row in catalogs.stats():
        typer.echo(f"{row.language}: {row.translated}/{row.total} translated ({row.percent:.1f}%)")


outbox_app = typer.Typer(help="The outbox of calls to the payment processor.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("run")
def outbox_run(
    retry_now: Annotated[
        bool, typer.Option(help="Retry every pending call now, not after its backoff")
    ] = False,
) -> None:
    """Make the processor calls that are due, once (the worker does this every poll); prints
    how many settled and how many are still pending."""
    from tradewind.bootstrap import send_intents
    from tradewind.payments import outbox

    container = _container()
    settled = send_intents(container, retry_now=retry_now)
    with container.uow(read_only=True) as uow:
        pending = len(outbox.intents(uow, status=outbox.PENDING))
    typer.echo(f"settled {settled}, pending {pending}")


@app.command()
def reconcile(
    day: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default: yesterday, UTC)")
    ] = None,
) -> None:
    """Match the processor's settlement report of a day against the ledger; prints the counts
    and exits 1 while any settlement mismatch (of any day) is open."""
    from datetime import date, timedelta

    from tradewind.payments import reconciliation

    container = _container()
    try:
        when = date.fromisoformat(day) if day else container.clock.now().date() - timedelta(1)
    except ValueError as exc:
        raise typer.BadParameter("--date must be YYYY-MM-DD") from exc
    result = reconciliation.reconcile_day(
        container.uow, container.payments, when, report_handlers()
    )
    counts = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in result.counts.items())
    typer.echo(f"{when}: {counts}")
    for finding in result.mismatches:
        typer.echo(
            f"  {finding.kind}: {finding.ref} reported {finding.reported} booked {finding.booked}"
        )
    typer.echo(f"open settlement mismatches: {result.open_total}")
    if result.open_total:
        raise typer.Exit(1)


bench_app = typer.Typer(help="Benchmarks against real server processes.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


def _print_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:>18}: {value}")


@bench_app.command("checkout")
def bench_checkout_command(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    duration: Annotated[float, typer.Option(min=1, max=120, help="Seconds per phase")] = 10,
    concurrency: Annotated[int, typer.Option(min=1, max=1000, help="Connections")] = 64,
    buyers: Annotated[int, typer.Option(min=1, max=5000, help="Distinct buyers")] = 200,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Server processes")] = 2,
    risk: Annotated[
        str,
        typer.Option(help="Risk mode per phase, e.g. enforce, or off,enforce,enforce,off"),
    ] = "enforce",
    promotions: Annotated[
        str,
        typer.Option(
            help="Promotions per phase, e.g. off,on,on,off: 'on' carts carry every kind of "
            "promotion and two coupons (the first risk mode throughout)"
        ),
    ] = "",
) -> None:
    """Full checkouts over HTTP: orders/s vs the same server's /healthz rate, and oversell.
    With ``--risk off,enforce,enforce,off`` the phases run in one session and
    ``risk_on_vs_off`` is the ratio of the modes' mean ratios."""
    from tradewind.bench.checkout import bench_checkout

    modes = tuple(m.strip() for m in risk.split(",") if m.strip())
    if not 1 <= len(modes) <= 8 or any(m not in ("off", "shadow", "enforce") for m in modes):
        raise typer.BadParameter("1 to 8 risk modes of off, shadow, enforce (comma-separated)")
    promo = tuple(p.strip() for p in promotions.split(",") if p.strip())
    if len(promo) > 8 or any(p not in ("off", "on") for p in promo):
        raise typer.BadParameter("at most 8 phases of off, on (comma-separated)")
    configure_logging("WARNING")
    _print_result(
        bench_checkout(
            db,
            duration_s=duration,
            concurrency=concurrency,
            buyers=buyers,
            workers=workers,
            risk_modes=modes,
            promotions_phases=promo,
        ),
        as_json,
    )


@bench_app.command("risk")
def bench_risk_command(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    seed: Annotated[int, typer.Option(min=0, max=2**31, help="Simulation seed")] = 18,
    orders: Annotated[
        int, typer.Option(min=1_000, max=200_000, help="Honest orders in the month")
    ] = 20_000,
) -> None:
    """A simulated month with labelled fraud: precision and recall per pattern and overall."""
    from tradewind.bench.risk import bench_risk

    configure_logging("WARNING")
    _print_result(bench_risk(db, seed=seed, orders=orders), as_json)


@bench_app.command("login-storm")
def bench_login_storm_command(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    clients: Annotated[int, typer.Option(min=1, max=200, help="Wrong-password clients")] = 30,
    writes: Annotated[int, typer.Option(min=10, max=5000, help="Cart writes per phase")] = 100,
) -> None:
    """An unrelated cart write's latency, quiet and under a storm of wrong passwords."""
    from tradewind.bench.login_storm import run

    configure_logging("WARNING")
    _print_result(run(db_url=db, clients=clients, writes=writes), as_json)


@bench_app.command("pages")
def bench_pages_command(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    rounds: Annotated[int, typer.Option(min=20, max=2000, help="Requests per page")] = 200,
    big: Annotated[int, typer.Option(min=100, max=50_000, help="Offers of the big shop")] = 5000,
) -> None:
    """p95 render time of the seller listings page with 50 and 5,000 offers, to the home page."""
    from tradewind.bench.pages import bench_pages

    configure_logging("WARNING")
    _print_result(bench_pages(db_url=db, rounds=rounds, big=big), as_json)


@bench_app.command("growth")
def bench_growth_command(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    sizes: Annotated[
        str, typer.Option(help="Sizes as multiples of the base, ascending")
    ] = "1,10,50",
    base: Annotated[int, typer.Option(min=20, max=100_000, help="Offers at 1x")] = 2000,
    duration: Annotated[float, typer.Option(min=1, max=60, help="Seconds per load phase")] = 4,
    servers: Annotated[
        bool, typer.Option(help="Also measure pages, memory, checkout and claims over HTTP")
    ] = True,
) -> None:
    """One marketplace grown to each size by bulk loaders; at each size search, pages, money
    reads, the payout batch, ledger checks, checkout and claims, each as a ratio to 1x."""
    from tradewind.bench.growth import bench_growth

    try:
        steps = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise typer.BadParameter("sizes are whole numbers, e.g. 1,10,50") from exc
    if not steps or steps != sorted(set(steps)) or steps[0] < 1 or steps[-1] > 200:
        raise typer.BadParameter("1 to 200, ascending, no repeats, e.g. 1,10,50")
    configure_logging("WARNING")
    result = bench_growth(db, sizes=steps, base=base, servers=servers, duration_s=duration)
    _print_result(result, as_json)


@bench_app.command("search")
def bench_search_command(
    products: Annotated[
        Path, typer.Option(help="Folder of Chorus *.json.zip files", exists=True, file_okay=False)
    ],
    judgments: Annotated[
        Path, typer.Option(help="CSV of query,docid,rating (0-3)", exists=True, dir_okay=False)
    ],
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    baseline: Annotated[
        bool, typer.Option(help="Also run the Tantivy baseline (the bench extra) and the ratios")
    ] = True,
) -> None:
    """Search relevance (mean nDCG@10 on graded judgments) and per-query latency p50/p95,
    beside a Tantivy baseline on the same products in the same thread."""
    from tradewind.bench.search import bench_search

    configure_logging("WARNING")
    _print_result(bench_search(products, judgments, db, baseline=baseline), as_json)


@bench_app.command("reconcile")
def bench_reconcile_command(
    db: Annotated[str | None, typer.Option(help="Database URL (default: a temp SQLite)")] = None,
    orders_per_day: Annotated[int, typer.Option(min=10, max=2000)] = 30,
    seed: Annotated[int, typer.Option(help="Seeds the simulated month")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """A simulated month of payments reconciled day by day (0 mismatches), then with one
    short capture, one duplicated refund and one unannounced fee injected (exactly those 3);
    exits 1 otherwise."""
    from tradewind.bench.reconcile import bench_reconcile

    configure_logging("ERROR")  # the sandbox's deliberate 503s are warnings
    result = bench_reconcile(db_url=db, orders_per_day=orders_per_day, seed=seed)
    _print_result(result, as_json)
    if result["clean_mismatches"] or not result["exactly_the_injected"]:
        raise typer.Exit(1)


@bench_app.command("flash-sale")
def bench_flash_sale_command(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    buyers: Annotated[int, typer.Option(min=2, max=5000, help="Concurrent buyers")] = 1000,
    stock: Annotated[int, typer.Option(min=100, max=1_000_000, help="Hot sale's pool")] = 200_000,
    duration: Annotated[float, typer.Option(min=1, max=120, help="Seconds per phase")] = 10,
    rate: Annotated[int, typer.Option(min=100, max=50_000, help="Offered requests/s")] = 12_000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Server processes")] = 2,
) -> None:
    """Flash-sale claims over HTTP (open loop): committed claims/s and sold-out answers/s vs the
    same server's /healthz rate, 1,000 vs 2 buyers, and the invariants (oversold must be 0)."""
    from tradewind.bench.flash_sale import bench_flash_sale

    configure_logging("WARNING")
    _print_result(
        bench_flash_sale(
            db, buyers=buyers, stock=stock, duration_s=duration, workers=workers, rate_per_s=rate
        ),
        as_json,
    )


@bench_app.command("cluster")
def bench_cluster_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
    duration: Annotated[float, typer.Option(min=10, max=120, help="Seconds of load")] = 24,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Clients per load")] = 8,
    nodes: Annotated[int, typer.Option(min=3, max=8, help="App nodes")] = 3,
    workers: Annotated[int, typer.Option(min=2, max=8, help="Timer workers")] = 2,
) -> None:
    """HAProxy, app nodes, workers, PostgreSQL primary + synchronous replica on this machine:
    checkouts and claims while the primary and a node are SIGKILLed, a node is cut off from
    the database and a worker dies mid-timer; rates vs /healthz and the invariants."""
    from tradewind.bench.cluster import Plan, bench_cluster

    configure_logging("WARNING")
    plan = Plan(duration_s=duration, concurrency=concurrency, nodes=nodes, workers=workers)
    _print_result(bench_cluster(plan), as_json)


risk_app = typer.Typer(help="Risk rules and cases.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")


@risk_app.command("backtest")
def risk_backtest_command(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC)")],
    end: Annotated[str, typer.Option("--to", help="Last day, included (YYYY-MM-DD, UTC)")],
    version: Annotated[
        int | None, typer.Option("--rules-version", min=1, help="Default: the active one")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
) -> None:
    """Replay the stored risk events of those days through a rules version: cases it would
    raise and, on labelled subjects, precision and recall."""
    from tradewind.risk import service as risk

    try:
        first = datetime.fromisoformat(start).replace(tzinfo=UTC)
        last = datetime.fromisoformat(end).replace(tzinfo=UTC) + timedelta(days=1)
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {exc}") from exc
    container = _container()
    with container.uow(read_only=True) as uow:
        result = risk.backtest(uow, first, last, version)
    result.pop("assessments")
    _print_result(result, as_json)


@app.command("create-operator")
def create_operator(
    email: Annotated[str, typer.Option(help="Login email")],
    name: Annotated[str, typer.Option(help="Display name")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2")] = "US",
    staff_role: Annotated[
        StaffRole, typer.Option(help="What the operator may do: admin does everything")
    ] = StaffRole.ADMIN,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an operator account (operators cannot sign up through the API)."""
    container = _container()
    with container.uow() as uow:
        account_id = identity.register_account(
            uow,
            identity.NewAccount(
                email=email,
                password=password,
                display_name=name,
                role=Role.OPERATOR,
                country=country,
                staff_role=staff_role,
            ),
        )
        uow.commit()
    typer.echo(account_id)


@app.command("config")
def show_config() -> None:
    """Show the effective configuration and where each value comes from."""
    settings = load_settings()
    for name, field in Settings.model_fields.items():
        env = f"TRADEWIND_{name.upper()}"
        value = getattr(settings, name)
        if name == "secret_key" and value:
            value = "***"
        source = "env" if env in os.environ else "default"
        typer.echo(f"{env}={value}  [{source}] {field.description or ''}")


if __name__ == "__main__":
    app()
