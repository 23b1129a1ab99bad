"""No function or method in ``src/tradewind`` is longer than 70 lines (migrations excepted).

A limit on everything, functions included: a function that does not fit on a screen is read
in pieces and changed by people who have not seen all of it. Migrations are exempt because
they are append-only records of a schema, never edited once committed.

Length is counted from the ``def`` line to the function's last line, docstring and comments
included; nested functions count inside their parent and are also checked on their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tradewind"
EXEMPT = (SRC / "db" / "migrations",)
MAX_FUNCTION_LINES = 70


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """(qualified name, line count) of every function in ``tree``, nested ones included."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            assert node.end_lineno is not None
            found.append((name, node.end_lineno - node.lineno + 1))
            found.extend(_functions(node, f"{name}."))
        elif isinstance(node, ast.ClassDef):
            found.extend(_functions(node, f"{prefix}{node.name}."))
        else:
            found.extend(_functions(node, prefix))
    return found


def _long_functions(root: Path, limit: int) -> list[str]:
    too_long = []
    for path in sorted(root.rglob("*.py")):
        if any(path.is_relative_to(exempt) for exempt in EXEMPT):
            continue
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for name, lines in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            if lines > limit:
                too_long.append(f"{module}:{name}:{lines}")
    return too_long


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = _long_functions(SRC, MAX_FUNCTION_LINES)
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: " + ", ".join(too_long)


def test_the_check_finds_long_functions_methods_and_nested_ones(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"        x{i} = {i}" for i in range(5))
    (package / "mod.py").write_text(
        "class C:\n"
        "    def method(self):\n"
        f"{body}\n"
        "async def outer():\n"
        "    def inner():\n"
        f"{body}\n"
        "def short():\n"
        "    return 1\n",
        encoding="utf-8",
    )
    assert _long_functions(package, 5) == [
        "pkg.mod:C.method:6",
        "pkg.mod:outer:7",
        "pkg.mod:outer.inner:6",
    ]
