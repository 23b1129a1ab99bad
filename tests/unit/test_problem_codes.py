"""Problem codes are one enum: raised only as its members, each with one status, and the error
table in docs/reference/api.md lists exactly the enum, each code in its status's row.

The source is read as a reader would (``ast``): every ``code`` given to a DomainError subclass or
to a function whose ``code`` parameter is a ``ProblemCode``, every ``code = ...`` in an error
class, every comparison with an error's ``.code``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tradewind.kernel import errors
from tradewind.kernel.problems import STATUS_BY_CODE, ProblemCode

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tradewind"
API_DOC = ROOT / "docs" / "reference" / "api.md"
PROBLEMS = SRC / "kernel" / "problems.py"


@cache
def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text()) for p in SRC.rglob("*.py") if "migrations" not in p.parts}


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")


def _error_classes(trees: list[ast.Module]) -> dict[str, ast.ClassDef]:
    """DomainError and every subclass defined anywhere in the package, by name."""
    found: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name in found:
                    continue
                if node.name == "DomainError" or {_name(b) for b in node.bases} & set(found):
                    found[node.name] = node
                    changed = True
    return found


def _code_helpers(trees: list[ast.Module], classes: set[str]) -> dict[str, int]:
    """Functions with a ``code: ProblemCode`` parameter: name -> its position."""
    found = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in classes or node.name == "__init__":
                    continue
                for position, arg in enumerate(node.args.args):
                    if arg.arg == "code" and "ProblemCode" in ast.unparse(arg.annotation or arg):
                        found[node.name] = position
    return found


def _member(node: ast.expr | None) -> ProblemCode | None:
    """``ProblemCode.X`` -> the member; anything else (a variable, a literal) -> None."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "ProblemCode"
    ):
        return ProblemCode[node.attr]
    return None


def _is_literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _code_sites(
    tree: ast.Module, classes: set[str], helpers: dict[str, int]
) -> Iterator[tuple[int, str, ast.expr]]:
    """(line, class or helper name, the code expression) for every code given in this module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for item in node.body:
                value = item.value if isinstance(item, ast.Assign | ast.AnnAssign) else None
                targets = (
                    item.targets
                    if isinstance(item, ast.Assign)
                    else [item.target]
                    if isinstance(item, ast.AnnAssign)
                    else []
                )
                if value is not None and any(_name(t) == "code" for t in targets):
                    yield item.lineno, node.name, value
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in classes:
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        yield node.lineno, name, keyword.value
            position = helpers.get(name)
            if position is not None:
                given = [k.value for k in node.keywords if k.arg == "code"]
                if position < len(node.args):
                    given.append(node.args[position])
                for value in given:
                    yield node.lineno, name, value
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
                for side in sides:
                    if _is_literal(side):
                        yield node.lineno, "comparison", side


def _literal_sites(trees: dict[Path, ast.Module]) -> list[str]:
    classes = _error_classes(list(trees.values()))
    helpers = _code_helpers(list(trees.values()), set(classes))
    return [
        f"{path.relative_to(ROOT)}:{line} {name}: {ast.unparse(value)}"
        for path, tree in trees.items()
        for line, name, value in _code_sites(tree, set(classes), helpers)
        if _is_literal(value)
    ]


def test_no_problem_code_is_a_bare_literal() -> None:
    assert _literal_sites(_trees()) == []


def test_the_literal_scan_finds_what_it_should() -> None:
    source = """
class Weird(Conflict):
    code = "weird"
def helper(detail: str, code: ProblemCode) -> InvalidInput:
    return InvalidInput(detail, code=code)
def raising(exc: DomainError) -> None:
    if exc.code == "out_of_stock":
        raise NotFound("gone", code="offer_gone")
    raise helper("bad", "bad_thing")
def fine() -> None:
    raise NotFound("gone", code=ProblemCode.NOT_FOUND)
"""
    trees = {**_trees(), SRC / "example.py": ast.parse(source)}
    found = [site for site in _literal_sites(trees) if "example.py" in site]
    assert sorted(found) == [
        "src/tradewind/example.py:3 Weird: 'weird'",
        "src/tradewind/example.py:7 comparison: 'out_of_stock'",
        "src/tradewind/example.py:8 NotFound: 'offer_gone'",
        "src/tradewind/example.py:9 helper: 'bad_thing'",
    ]


def _class_codes(classes: dict[str, ast.ClassDef]) -> dict[str, ProblemCode]:
    """Each error class's own code, inherited where the class does not set one."""
    own = {}
    for name, node in classes.items():
        for item in node.body:
            if isinstance(item, ast.Assign | ast.AnnAssign):
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                member = _member(item.value)
                if member is not None and any(_name(t) == "code" for t in targets):
                    own[name] = member
    resolved: dict[str, ProblemCode] = {}

    def code_of(name: str) -> ProblemCode:
        if name not in resolved:
            if name in own:
                resolved[name] = own[name]
            else:
                bases = [_name(b) for b in classes[name].bases if _name(b) in classes]
                resolved[name] = code_of(bases[0])
        return resolved[name]

    return {name: code_of(name) for name in classes}


def test_a_code_raised_with_a_class_has_the_class_status() -> None:
    trees = _trees()
    classes = _error_classes(list(trees.values()))
    class_codes = _class_codes(classes)
    wrong = []
    for path, tree in trees.items():
        for line, name, value in _code_sites(tree, set(classes), {}):
            member = _member(value)
            if name in class_codes and member is not None:
                expected = STATUS_BY_CODE[class_codes[name]]
                if STATUS_BY_CODE[member] != expected:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} {name}({member}) {expected}")
    assert wrong == []
    assert class_codes["OutOfStock"] is ProblemCode.OUT_OF_STOCK
    assert class_codes["IllegalTransition"] is ProblemCode.ILLEGAL_TRANSITION
    assert STATUS_BY_CODE[errors.Conflict.code] == 409


def test_every_code_has_one_status_and_every_member_is_used() -> None:
    assert set(STATUS_BY_CODE) == set(ProblemCode)
    assert all(100 <= status <= 599 for status in STATUS_BY_CODE.values())
    used = {
        ProblemCode[node.attr]
        for path, tree in _trees().items()
        if path != PROBLEMS
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _name(node.value) == "ProblemCode"
    }
    assert sorted(set(ProblemCode) - used) == [], "codes nothing can answer with"


def _documented() -> dict[str, list[int]]:
    text = API_DOC.read_text()
    table = text[text.index("## Errors") :]
    found: dict[str, list[int]] = {}
    for line in table.splitlines():
        row = re.match(r"^\| (\d{3}) \|", line)
        if row:
            for code in re.findall(r"`([a-z_]+)`", line.split("|")[2]):
                found.setdefault(code, []).append(int(row.group(1)))
    return found


def test_the_docs_list_exactly_the_enum_each_in_its_status_row() -> None:
    documented = _documented()
    codes = {str(code) for code in ProblemCode}
    assert sorted(codes - set(documented)) == [], "codes missing from docs/reference/api.md"
    assert sorted(set(documented) - codes) == [], "documented codes that are not in ProblemCode"
    misplaced = {
        code: statuses
        for code, statuses in documented.items()
        if statuses != [STATUS_BY_CODE[ProblemCode(code)]]
    }
    assert misplaced == {}
