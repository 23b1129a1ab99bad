"""The layering rules in pyproject.toml, checked by import-linter on every test run.

The purity contract names domain modules by pattern (``tradewind.**.domain``); the second test
checks that the pattern, resolved the way import-linter resolves it, really covers every module
named ``domain`` or inside a ``domain`` package, so a typo or a move cannot quietly leave one
unchecked.
"""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import grimp
from importlinter.domain.helpers import module_expressions_to_modules
from importlinter.domain.imports import ModuleExpression

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tradewind"
PURITY_CONTRACT = "Domain code is pure: no database, web or HTTP client imports"


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _purity_contract() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == PURITY_CONTRACT]
    return contract  # type: ignore[no-any-return]


def _domain_modules_on_disk() -> set[str]:
    """Every module whose dotted name has a ``domain`` part: domain.py, domain/ and below."""
    found = set()
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "domain" in parts:
            found.add(".".join(parts))
    return found


def test_the_purity_contract_covers_every_domain_module() -> None:
    contract = _purity_contract()
    assert contract["type"] == "forbidden"
    # Resolved as the forbidden contract resolves its sources: wildcards expanded, and each
    # match taken as a package with its descendants (as_packages defaults to true).
    assert contract.get("as_packages", True)
    graph = grimp.build_graph("tradewind", include_external_packages=True, cache_dir=None)
    covered = {
        module.name
        for module in module_expressions_to_modules(
            graph, [ModuleExpression(e) for e in contract["source_modules"]], as_packages=True
        )
    }
    on_disk = _domain_modules_on_disk()
    assert "tradewind.catalog.stock.domain" in on_disk  # the walk itself finds them
    assert not on_disk - covered, f"domain modules outside the purity contract: {on_disk - covered}"


TABLES = ROOT / "src" / "tradewind" / "db" / "tables"
CONTEXTS_DOC = ROOT / "docs" / "design" / "contexts.md"
TOOLS = {"tradewind.db", "tradewind.bench", "tradewind.seed", "tradewind.cli"}
# Declared readers of another context's tables (decision 38): allowed to import them, never
# to write them (checked below).
READERS = {"catalog": {"tradewind.search"}}


def _table_contracts() -> dict[str, dict[str, Any]]:
    """The protected contract of each table module, by the module's name."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: dict[str, dict[str, Any]] = {}
    for contract in config["tool"]["importlinter"]["contracts"]:
        protected = contract.get("protected_modules", [])
        if contract["type"] == "protected" and protected[0].startswith("tradewind.db.tables."):
            assert len(protected) == 1, contract["name"]
            found[protected[0].removeprefix("tradewind.db.tables.")] = contract
    return found


def test_every_table_module_has_one_owner() -> None:
    modules = {p.stem for p in TABLES.glob("*.py")} - {"__init__", "base"}
    contracts = _table_contracts()
    assert set(contracts) == modules
    for name, contract in contracts.items():
        owners = set(contract["allowed_importers"]) - TOOLS - READERS.get(name, set())
        assert len(owners) == 1, f"{name}: one owning context, not {sorted(owners)}"
        assert set(contract["allowed_importers"]) >= TOOLS, name


def test_ignored_crossings_are_the_ones_documented() -> None:
    """Each ignore is listed in docs/design/contexts.md, and the count there is exact: a new
    crossing needs a documented reason, and the number can only go down."""
    ignores = [i for c in _table_contracts().values() for i in c.get("ignore_imports", [])]
    doc = CONTEXTS_DOC.read_text()
    stated = re.search(r"Remaining crossings: \*\*(\d+)\*\*", doc)
    assert stated is not None, "contexts.md states 'Remaining crossings: **N**'"
    assert len(ignores) == int(stated.group(1))
    listed = re.findall(r"`(tradewind\.[\w.]+ -> tradewind\.db\.tables\.\w+)`", doc)
    assert sorted(listed) == sorted(ignores)


def _writes_to(path: Path, table_module: str) -> list[str]:
    """``insert``/``update``/``delete`` of a table imported from ``table_module`` in one file."""
    tree = ast.parse(path.read_text())
    tables = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == table_module
        for alias in node.names
    }
    return [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", ""))
        in {"insert", "update", "delete"}
        and node.args
        and getattr(node.args[0], "id", None) in tables
    ]


def test_declared_readers_never_write_the_tables_they_read() -> None:
    for name, readers in READERS.items():
        for reader in readers:
            package = ROOT / "src" / Path(*reader.split("."))
            for path in sorted(package.rglob("*.py")):
                assert _writes_to(path, f"tradewind.db.tables.{name}") == [], path
    # the scan finds writes where there are some: catalog writes its own tables
    catalog = ROOT / "src" / "tradewind" / "catalog" / "service.py"
    assert _writes_to(catalog, "tradewind.db.tables.catalog") != []
