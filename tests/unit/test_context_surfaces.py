"""Each bounded context's ``__init__.py`` says what the context offers.

Every context package has a docstring naming what it owns and offers, and an ``__all__`` of
its public modules: modules are the public surface here (re-exporting functions from
``__init__`` would create import cycles between contexts). ``__all__`` names only modules that
exist, never a private one (``_like_this``, kept inside the context by an import-linter
contract), and every module without a leading underscore is in it: a module is either offered
or private, never neither.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import tradewind

SRC = Path(tradewind.__file__).parent
# Packages that are not bounded contexts: entry points, storage, the shared kernel, benchmarks.
NOT_CONTEXTS = {"bench", "cli", "db", "kernel", "web"}


def _contexts() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(SRC)])
        if info.ispkg and info.name not in NOT_CONTEXTS
    )


def _modules_in(package: str) -> set[str]:
    return {info.name for info in pkgutil.iter_modules([str(SRC / package)])}


def test_the_contexts_are_found() -> None:
    packages = {info.name for info in pkgutil.iter_modules([str(SRC)]) if info.ispkg}
    assert packages >= NOT_CONTEXTS  # the exclusions name real packages
    known = {"catalog", "customs", "escrow", "flash", "fulfilment", "idempotency", "identity"}
    known |= {"ledger", "logistics", "money", "notifications", "ordering"}
    known |= {"payments", "search", "timers"}
    assert set(_contexts()) >= known


@pytest.mark.parametrize("context", _contexts())
def test_a_context_says_what_it_offers(context: str) -> None:
    package = importlib.import_module(f"tradewind.{context}")
    assert (package.__doc__ or "").strip(), f"tradewind.{context} has no docstring"
    offered = getattr(package, "__all__", None)
    assert isinstance(offered, list), f"tradewind.{context} has no __all__ list"
    assert all(isinstance(name, str) for name in offered)
    assert len(offered) == len(set(offered)), f"tradewind.{context}.__all__ repeats a name"
    modules = _modules_in(context)
    assert not set(offered) - modules, (
        f"not modules of tradewind.{context}: {set(offered) - modules}"
    )
    private = {name for name in offered if name.startswith("_")}
    assert not private, f"private modules in tradewind.{context}.__all__: {private}"
    public = {name for name in modules if not name.startswith("_")}
    assert not public - set(offered), (
        f"tradewind.{context}: list these in __all__ or make them private (a leading underscore):"
        f" {public - set(offered)}"
    )
