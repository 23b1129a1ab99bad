"""What client generators read in ``/openapi.json``: short operation ids, typed error bodies.

* ``operation_id`` is the app's ``generate_unique_id_function``, so every route gets its id from
  one rule: the slug of its first tag, then its endpoint function's name (``identity`` +
  ``create_token`` -> ``identity_create_token``; a name that already starts with the tag is not
  prefixed twice: ``search`` + ``search_products`` -> ``search_products``). Generators name a
  client's functions after these ids, so renaming an endpoint function renames them; the ids
  that matter are pinned in tests/unit/test_openapi_names.py.
* ``install`` wraps ``app.openapi`` to tidy the document:

  - a schema is named after its Python class: Pydantic keys a generic's schema after its origin
    (``Page_OfferOut_``) even where the class is named otherwise (``Page.model_parametrized_name``
    makes ``Page[OfferOut]`` the class ``OfferPage``), so such keys take the class's name;
    module-qualified keys (``tradewind__web__routes__auth__AccountOut``: two classes, one name)
    are left as they are, for tests/unit/test_openapi_names.py to refuse;
  - the ``Problem`` schema is filed under ``application/problem+json``, the one media type the
    error handlers send, instead of FastAPI's ``application/json`` plus an empty entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id

from tradewind.web.problems import PROBLEM_JSON

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def tag_slug(tag: str) -> str:
    """``flash sales`` -> ``flash_sales``."""
    return _NOT_SLUG.sub("_", tag.lower()).strip("_")


def operation_id(route: APIRoute) -> str:
    """``{tag}_{endpoint}`` for tagged routes; routes without a tag (pages, the sandbox
    processor's hosted screens) are not in the schema and keep FastAPI's default."""
    if not route.tags:
        return generate_unique_id(route)
    prefix = tag_slug(str(route.tags[0]))
    name = route.name
    return name if name.startswith(f"{prefix}_") else f"{prefix}_{name}"


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the document it serves carries typed problem bodies."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return _problems_as_problem_json(_schemas_named_as_classes(generate()))

    app.openapi = openapi  # type: ignore[method-assign]


_REF = "#/components/schemas/"
_CLASS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def _schemas_named_as_classes(schema: dict[str, Any]) -> dict[str, Any]:
    """Idempotent, in place: FastAPI caches the document it generates."""
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    renames = {
        key: body["title"]
        for key, body in components.items()
        if "__" not in key
        and _CLASS_NAME.match(str(body.get("title", "")))
        and body["title"] != key
        and body["title"] not in components
    }
    if not renames:
        return schema
    named = {renames.get(k, k): v for k, v in components.items()}
    schema["components"]["schemas"] = dict(sorted(named.items()))
    _rewrite_refs(schema, {_REF + old: _REF + new for old, new in renames.items()})
    return schema


def _rewrite_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for item in node:
            _rewrite_refs(item, refs)


def _problems_as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Idempotent, in place: FastAPI caches the document it generates."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if not str(status).startswith(("4", "5")) or PROBLEM_JSON not in content:
                    continue
                plain = content.pop("application/json", None)
                if plain and "schema" in plain and not content[PROBLEM_JSON].get("schema"):
                    content[PROBLEM_JSON] = {"schema": plain["schema"]}
    return schema
