"""ASGI entry point for process managers: ``uvicorn --factory tradewind.web.asgi:app_from_env``."""

from __future__ import annotations

from fastapi import FastAPI

from tradewind.bootstrap import build
from tradewind.config import load_settings
from tradewind.logs import configure_logging
from tradewind.web.app import create_app


def app_from_env() -> FastAPI:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(build(settings))
