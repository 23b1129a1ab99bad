"""Every problem code the code can answer with is listed in docs/reference/api.md, and the
page lists none that the code cannot return.

Codes are found the way a reader would: the ``code`` of each DomainError subclass, every
``code="..."`` given when one is raised, and the codes the web layer writes itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tradewind.kernel import errors
from tradewind.web import problems

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tradewind"
API_DOC = ROOT / "docs" / "reference" / "api.md"

# Written by the web layer itself rather than raised as a DomainError.
WEB_CODES = {"validation_failed", "malformed_json", "internal_error", "body_too_large"}


def _error_class_names(trees: list[ast.Module]) -> set[str]:
    """DomainError and every subclass defined anywhere in the package."""
    names = {"DomainError"}
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        changed = True
    return names


def _code_params(trees: list[ast.Module], classes: set[str]) -> dict[str, int]:
    """Functions that build an error from a ``code`` parameter: name -> its position."""
    found = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in node.args.args]
                if "code" in names and node.name not in classes:
                    found[node.name] = names.index("code")
    return found


def _constants(trees: list[ast.Module]) -> dict[str, str]:
    """Module-level ``NAME = "text"`` (and annotated) assignments, for codes named once."""
    found = {}
    for tree in trees:
        for node in tree.body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found[target.id] = value.value
    return found


def _text(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _codes_in_source() -> set[str]:
    trees = [ast.parse(p.read_text()) for p in SRC.rglob("*.py") if "migrations" not in p.parts]
    classes = _error_class_names(trees)
    helpers = _code_params(trees, classes)
    constants = _constants(trees)
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for item in node.body:
                    if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "code" for t in item.targets
                    ):
                        found.add(_text(item.value, constants) or "")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in classes and name not in helpers:
                continue
            for keyword in node.keywords:
                if keyword.arg == "code":
                    found.add(_text(keyword.value, constants) or "")
            position = helpers.get(name)
            if position is not None and position < len(node.args):
                found.add(_text(node.args[position], constants) or "")
    # "" where a code is computed at run time; the abstract base's placeholder is never raised.
    return found - {"", "domain_error"}


def _codes_in_docs() -> set[str]:
    text = API_DOC.read_text()
    table = text[text.index("## Errors") :]
    rows = [line for line in table.splitlines() if re.match(r"^\| \d{3} \|", line)]
    return {code for row in rows for code in re.findall(r"`([a-z_]+)`", row.split("|")[2])}


def test_every_problem_code_is_documented_and_none_is_invented() -> None:
    returned = _codes_in_source() | WEB_CODES | set(problems.HTTP_CODES.values())
    documented = _codes_in_docs()
    assert sorted(returned - documented) == [], "codes missing from docs/reference/api.md"
    assert sorted(documented - returned) == [], "documented codes the code never returns"


def test_the_scan_finds_what_it_should() -> None:
    found = _codes_in_source()
    assert {errors.OutOfStock.code, errors.IdempotencyKeyReused.code, "csrf_failed"} <= found
    assert {"checkout_pending", "tracking_number_in_use", "control_characters"} <= found
    assert "ems" not in found  # a shipping service code, not a problem code
    assert "invalid_gtin" not in found  # a field code (errors[].code), not a problem code
