"""``tradewind``: serve, migrate, seed, demo, worker, config."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated, Any

import typer
import uvicorn

from tradewind.bootstrap import Container, build
from tradewind.config import Settings, load_settings
from tradewind.db.migrate import upgrade
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
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

    overrides: dict[str, Any] = {}
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


@app.command("create-operator")
def create_operator(
    email: Annotated[str, typer.Option(help="Login email")],
    name: Annotated[str, typer.Option(help="Display name")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2")] = "US",
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
