"""Settings, read from ``TRADEWIND_*`` environment variables (docs/reference/configuration.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/tradewind.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host:port/db",
    )
    db_pool_size: int = Field(
        default=30,
        ge=1,
        le=200,
        description="Database connections each server process keeps open (plus a third as "
        "much overflow); at least the request threads that use the database at once",
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the HTTP server binds")
    secret_key: str = Field(
        default="",
        description="Signs session cookies and CSRF tokens. Empty: one is generated and stored "
        "beside the SQLite database (demo only; set it in production).",
    )
    clock: Literal["system", "manual"] = Field(
        default="system",
        description="'manual' lets operators move time forward (demo and tests only)",
    )
    log_level: str = Field(default="INFO", description="Python logging level")
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=64 * 1_048_576,
        description="Largest request body accepted; larger ones get 413",
    )
    session_ttl_s: int = Field(default=7 * 24 * 3600, ge=60, description="Cookie session lifetime")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins per email within the window before throttling"
    )
    login_window_s: int = Field(default=900, ge=1, description="Login throttling window")
    worker_poll_s: float = Field(default=1.0, gt=0, le=60, description="Timer worker poll period")
    worker_batch: int = Field(default=100, ge=1, le=10_000, description="Timers run per poll")
    payment_timeout_s: int = Field(
        default=1800,
        ge=60,
        le=7 * 24 * 3600,
        description="Unpaid checkouts are cancelled and their stock returned after this",
    )
    public_base_url: str = Field(
        default="",
        description="Where webhooks reach this server (default http://HOST:PORT)",
    )
    psp_webhook_secret: str = Field(
        default="", description="Signs sandbox payment webhooks (default: derived from the key)"
    )
    commission_bps: int = Field(
        default=800, ge=0, le=5000, description="Platform commission in basis points (8% = 800)"
    )
    commission_by_category: dict[str, int] = Field(
        default_factory=dict,
        description='JSON map of category to basis points, e.g. {"Laptops": 500}',
    )
    auto_confirm_express_days: int = Field(
        default=10, ge=1, le=120, description="Protection after shipment, express"
    )
    auto_confirm_surface_days: int = Field(
        default=30, ge=1, le=120, description="Protection after shipment, surface mail"
    )
    after_sales_days: int = Field(
        default=15, ge=0, le=365, description="After completion, until the order is final"
    )
    seller_response_days: int = Field(
        default=5, ge=1, le=60, description="A seller's time to answer a dispute"
    )
    tracking_poll_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How often parcels are polled at the carrier"
    )
    payout_minimum: str = Field(default="10", description="Smallest payout, in major units")
    cookie_secure: bool = Field(default=False, description="Mark cookies Secure (behind HTTPS)")
    chorus_path: Path = Field(
        default=Path("../shared/data/chorus/products"),
        description="Chorus catalog used by the demo seed when present",
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    return Settings()
