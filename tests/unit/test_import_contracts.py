"""The layering rules in pyproject.toml, checked by import-linter on every test run."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


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


TABLES = ROOT / "src" / "tradewind" / "db" / "tables"
CONTEXTS_DOC = ROOT / "docs" / "design" / "contexts.md"
TOOLS = {"tradewind.db", "tradewind.bench", "tradewind.seed", "tradewind.cli"}


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
        owners = set(contract["allowed_importers"]) - TOOLS
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
