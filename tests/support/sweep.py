"""A hostile sweep over every operation in ``/openapi.json``.

For each operation: a plausible request is built from its schema (real ids in the path, bodies
from the documented fields), then each field in turn (path, query, header and body, one level of
nesting) is replaced by boundary and hostile values: control characters, lone surrogates, huge and
negative integers, floats, wrong types, deep nesting, very long text, digits of other scripts.
The caller checks each answer; this module only builds requests.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.api import PASSWORD
from tests.support.market import SHIP_TO, next_gtin

_serial = itertools.count(1)

HOSTILE_TEXT: tuple[Any, ...] = (
    "\x00",
    "a\x00b",
    "\x1b[2J",
    "\x7f",
    "\u0085",
    "",
    " ",
    "x" * 20_000,
    "٣٤٥",
    "".join(chr(0xFF11 + d) for d in range(3)),  # fullwidth digits
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "\u202eevil",
)
HOSTILE_NUMBERS: tuple[Any, ...] = (
    -1,
    0,
    2**31,
    2**63,
    2**70,
    -(2**70),
    1e300,
    -1e300,
    0.5,
    "1e400",
    "abc",
)
HOSTILE_SHAPES: tuple[Any, ...] = (
    None,
    True,
    {"$gt": ""},
    [],
    ["x"] * 1000,
    {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {}}}}}}}}},
)
# A JSON document nested far deeper than any parser should follow.
DEEP_JSON = "[" * 5000 + "]" * 5000
# JSON text Python's json module would refuse to write: a lone surrogate.
LONE_SURROGATE = "\\ud800"


@dataclass
class Ids:
    """Real objects of the seeded marketplace, by the path parameter that names them."""

    by_param: dict[str, str] = field(default_factory=dict)

    def for_param(self, name: str) -> str:
        return self.by_param.get(name, "missing_0000")


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: Any  # JSON-able, or None
    raw_body: str | None = None  # sent verbatim as JSON when set
    label: str = ""

    def with_label(self, label: str) -> Request:
        clone = copy.deepcopy(self)
        clone.label = label
        return clone


class Spec:
    def __init__(self, openapi: dict[str, Any]) -> None:
        self.openapi = openapi

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.openapi["components"]["schemas"][name]
        return schema

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, methods in sorted(self.openapi["paths"].items()):
            for method, operation in sorted(methods.items()):
                yield method.upper(), path, operation

    def body_schema(self, operation: dict[str, Any]) -> dict[str, Any] | None:
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        return self.resolve(schema) if schema else None

    def sample(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        """A plausible value for ``schema`` (named ``name``), valid where the schema can say."""
        schema = self.resolve(schema)
        if "anyOf" in schema:
            options = [s for s in schema["anyOf"] if self.resolve(s).get("type") != "null"]
            return self.sample(options[0], name, depth) if options else None
        if "enum" in schema:
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        if "default" in schema and schema["default"] is not None and depth > 0:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self._sample_object(schema, depth)
        if kind == "array":
            item = self.sample(schema.get("items", {}), name.rstrip("s"), depth + 1)
            return [item] if item is not None else []
        if kind == "integer":
            return _sample_int(schema)
        if kind == "number":
            return _sample_int(schema)
        if kind == "boolean":
            return False
        return _sample_text(name, schema)

    def _sample_object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        if depth > 3:
            return {}
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        out = {}
        for key, sub in props.items():
            if key in required or depth == 0:
                out[key] = self.sample(sub, key, depth + 1)
        return out


def _sample_int(schema: dict[str, Any]) -> int:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
    high = schema.get("maximum", low + 10)
    return int(max(low, min(high, max(low, 1))))


_NAMED_TEXT = {
    "email": lambda: f"sweep{next(_serial)}@example.com",
    "password": lambda: PASSWORD,
    "country": lambda: "IL",
    "origin_country": lambda: "CN",
    "destination": lambda: "IL",
    "currency": lambda: "ILS",
    "base": lambda: "USD",
    "quote": lambda: "ILS",
    "gtin": next_gtin,
    "hs_code": lambda: "854442",
    "card_number": lambda: "4242424242424242",
    "rate": lambda: "3.70",
    "as_of": lambda: "2026-03-02T09:00:00Z",
}


def _sample_text(name: str, schema: dict[str, Any]) -> str:
    if name in _NAMED_TEXT:
        return str(_NAMED_TEXT[name]())
    if schema.get("format") == "date-time":
        return "2026-03-03T09:00:00Z"
    if schema.get("format") == "date":
        return "2026-04-01"
    low = int(schema.get("minLength", 1))
    high = int(schema.get("maxLength", 40))
    text = f"sweep {name}"[: max(low, min(high, 40))]
    return text.ljust(low, "x")


def baseline(spec: Spec, method: str, path: str, operation: dict[str, Any], ids: Ids) -> Request:
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}
    concrete = path
    for parameter in operation.get("parameters", []):
        where, name = parameter["in"], parameter["name"]
        if where == "path":
            concrete = concrete.replace("{" + name + "}", ids.for_param(name))
        elif where == "header":
            headers[name] = f"sweep-key-{next(_serial)}"
        elif where == "query" and parameter.get("required"):
            params[name] = spec.sample(parameter.get("schema", {}), name, 1)
    schema = spec.body_schema(operation)
    body = spec.sample(schema) if schema else None
    if path.endswith("/checkouts") and method == "POST":
        body = {**(body or {}), "ship_to": dict(SHIP_TO)}
        body["lines"] = [{"offer_id": ids.for_param("offer_id"), "quantity": 1}]
    if method == "POST":
        headers.setdefault("Idempotency-Key", f"sweep-key-{next(_serial)}")
    return Request(method, concrete, params, headers, body, label="baseline")


def _hostile_for(schema: dict[str, Any]) -> tuple[Any, ...]:
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return HOSTILE_NUMBERS + HOSTILE_SHAPES[:3] + ("٣",)
    if kind == "string" or not kind:
        return HOSTILE_TEXT + HOSTILE_SHAPES[:3] + (2**70,)
    return HOSTILE_SHAPES + HOSTILE_TEXT[:2]


def mutations(
    spec: Spec, method: str, path: str, operation: dict[str, Any], ids: Ids
) -> Iterator[Request]:
    base = baseline(spec, method, path, operation, ids)
    for parameter in operation.get("parameters", []):
        where, name = parameter["in"], parameter["name"]
        schema = spec.resolve(parameter.get("schema", {}))
        for value in _hostile_for(schema):
            req = base.with_label(f"{where} {name}={value!r:.40}")
            text = value if isinstance(value, str) else str(value)
            if where == "path":
                concrete = path
                for other in operation.get("parameters", []):
                    if other["in"] == "path":
                        replacement = (
                            text if other["name"] == name else ids.for_param(other["name"])
                        )
                        concrete = concrete.replace("{" + other["name"] + "}", _quote(replacement))
                req.path = concrete
            elif where == "query":
                req.params[name] = text
            elif (
                where == "header" and text.strip() == text and text.isprintable() and text.isascii()
            ):
                req.headers[name] = text
            yield req
    yield from _body_mutations(spec, base, operation)


def _body_mutations(spec: Spec, base: Request, operation: dict[str, Any]) -> Iterator[Request]:
    schema = spec.body_schema(operation)
    if schema is None or not isinstance(base.body, dict):
        return
    for shape in (None, [], "text", 2**70, DEEP_JSON):
        req = base.with_label(f"body={shape!r:.30}")
        if shape == DEEP_JSON:
            req.body, req.raw_body = None, DEEP_JSON
        else:
            req.body = shape
        yield req
    for key, sub in schema.get("properties", {}).items():
        sub = spec.resolve(sub)
        for value in _hostile_for(sub):
            req = base.with_label(f"body.{key}={value!r:.40}")
            req.body[key] = value
            yield req
        lone = base.with_label(f"body.{key}=lone surrogate")
        lone.body[key] = "@@LONE@@"
        yield lone
        nested = base.body.get(key)
        target = nested[0] if isinstance(nested, list) and nested else nested
        if isinstance(target, dict):
            for inner in list(target):
                for value in ("\x00", 2**70, -1, None, {"x": 1}, "x" * 20_000):
                    req = base.with_label(f"body.{key}.{inner}={value!r:.30}")
                    inner_target = req.body[key][0] if isinstance(nested, list) else req.body[key]
                    inner_target[inner] = value
                    yield req


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
