"""Settings, read from ``TRADEWIND_*`` environment variables (docs/reference/configuration.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewind.identity.domain import ThrottlePolicy, validate_tradable_currency
from tradewind.kernel.errors import InvalidInput
from tradewind.quality.domain import Rule, parse_rules

# The currencies the demo seeds FX quotes for (tradewind.catalog.chorus_import.UNITS_PER_USD).
DEFAULT_ACCOUNT_CURRENCIES = ("USD", "EUR", "GBP", "ILS", "JPY", "CNY", "KWD")


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
    replica_url: str = Field(
        default="",
        description="A streaming replica's SQLAlchemy URL: search, catalog and public pages "
        "read from it (empty: every read goes to TRADEWIND_DATABASE_URL)",
    )
    replica_max_lag_s: float = Field(
        default=1.0,
        gt=0,
        le=300,
        description="Replay lag beyond which reads go to the primary instead of the replica; "
        "a client's reads also go to the primary for this plus 2 s after its own writes",
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
        default=5,
        ge=1,
        le=1000,
        description="Consecutive failed logins on one account before each further attempt "
        "waits (1 s, doubling, up to TRADEWIND_LOGIN_BACKOFF_MAX_S)",
    )
    login_backoff_max_s: int = Field(
        default=30,
        ge=1,
        le=300,
        description="Longest wait between login attempts on one account (its owner gets in "
        "after at most this)",
    )
    login_client_max_failures: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Failed logins from one client address, over all accounts, per window; "
        "then 429 until the window ends",
    )
    login_window_s: int = Field(
        default=900,
        ge=1,
        le=24 * 3600,
        description="Login throttling window: the per-client limit's period, and how long "
        "an account's consecutive failures are remembered",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description='JSON list of proxy addresses or networks, e.g. ["10.0.0.5"]: from '
        "these peers the client address is taken from X-Forwarded-For",
    )
    api_token_ttl_days: int = Field(
        default=30, ge=1, le=366, description="API tokens expire this many days after creation"
    )
    password_min_score: int = Field(
        default=3, ge=0, le=4, description="Lowest zxcvbn score (0-4) a new password may have"
    )
    account_currencies: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ACCOUNT_CURRENCIES),
        min_length=1,
        description="JSON list of ISO 4217 currencies an account may choose (publish FX "
        "quotes for each); fund codes and XXX/XTS are never accepted",
    )
    media_dir: str = Field(
        default="",
        description="Where uploaded pictures are stored (default: media/ beside the SQLite "
        "database, or var/media)",
    )
    media_max_bytes: int = Field(
        default=1_000_000,
        ge=10_000,
        le=64 * 1_048_576,
        description="Largest picture upload in bytes (keep TRADEWIND_MAX_BODY_BYTES above it)",
    )
    media_max_pixels: int = Field(
        default=25_000_000, ge=10_000, le=100_000_000, description="Most pixels in an upload"
    )
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
    quality_rules: str = Field(
        default="",
        max_length=10_000,
        description="Seller quality rules as a JSON list of {measure, days, warn, pause, "
        "min_count}; empty for the defaults (docs/reference/configuration.md)",
    )
    risk_mode: Literal["off", "shadow", "enforce"] = Field(
        default="enforce",
        description="Risk scoring: off (no events kept), shadow (cases, no holds), enforce",
    )

    sandbox_fee_bps: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="The sandbox processor's fee on each capture, in basis points (290 = 2.9%), "
        "booked to platform:processor_fees",
    )
    sandbox_flaky_every: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="About one sandbox processor call in N fails once with a 503 and succeeds "
        "when retried under its key (0: never)",
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark cookies Secure; implied when TRADEWIND_PUBLIC_BASE_URL is https",
    )
    chorus_path: Path = Field(
        default=Path("../shared/data/chorus/products"),
        description="Chorus catalog used by the demo seed when present",
    )

    @field_validator("account_currencies")
    @classmethod
    def _tradable(cls, codes: list[str]) -> list[str]:
        for code in codes:
            try:
                validate_tradable_currency(code)
            except InvalidInput as exc:
                raise ValueError(exc.detail) from exc
        return codes

    @field_validator("quality_rules")
    @classmethod
    def _quality_rules(cls, text: str) -> str:
        parse_rules(text)  # a malformed rule stops the process at start, not at the first seller
        return text

    @property
    def seller_rules(self) -> tuple[Rule, ...]:
        return parse_rules(self.quality_rules)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` when set explicitly or when the public URL is https."""
        return self.cookie_secure or self.public_base_url.lower().startswith("https://")

    @property
    def login_throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.login_max_failures,
            max_delay_s=self.login_backoff_max_s,
            client_max_failures=self.login_client_max_failures,
            window_s=self.login_window_s,
        )


def load_settings() -> Settings:
    return Settings()
