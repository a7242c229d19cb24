"""A docs page's JSON examples and endpoints, checked against the served OpenAPI document.

Each JSON code block of the page follows a ``<!-- schema: Name -->`` comment that names the
component it shows. Its objects may use only the fields that component declares (an
undeclared field lands in a generated client's ``additional_properties``, not in a typed
attribute), must carry the required ones, with values of the declared type, enum and
nullability. Every ``GET|POST /api/tiktok-auth-mobile/...`` in the text must be a documented
operation.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

BLOCK = re.compile(r"(?:<!-- schema: (\w+) -->\s*)?```json\n(.*?)```", re.S)
ENDPOINT = re.compile(r"\b(GET|POST) (/api/tiktok-auth-mobile/[\w/]*\w)")
TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


def doc_problems(text: str, document: dict[str, Any]) -> list[str]:
    """What in ``text`` (Markdown) disagrees with ``document``; empty when all agrees."""
    components = document["components"]["schemas"]
    blocks = BLOCK.findall(text)
    problems = [] if blocks else ["the page has no JSON example"]
    for name, body in blocks:
        if name not in components:
            problems.append(f"a JSON block names no known schema ({name!r}): {body[:60]!r}")
            continue
        ref = {"$ref": f"#/components/schemas/{name}"}
        problems += [f"{name}: {p}" for p in mismatches(json.loads(body), ref, components, name)]
    for method, path in ENDPOINT.findall(text):
        if method.lower() not in document["paths"].get(path, {}):
            problems.append(f"{method} {path} is not in the schema")
    return problems


def resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` or single ``allOf`` replaced by what it points to (the
    keys beside it, such as ``nullable``, kept on top)."""
    rest = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
    if "$ref" in schema:
        target = components[schema["$ref"].rsplit("/", 1)[-1]]
    elif len(schema.get("allOf", ())) == 1:
        target = schema["allOf"][0]
    else:
        return schema
    return {**resolved(target, components), **rest}


def mismatches(
    value: Any, schema: dict[str, Any], components: dict[str, Any], at: str
) -> list[str]:
    schema = resolved(schema, components)
    if "oneOf" in schema:
        tried = [mismatches(value, option, components, at) for option in schema["oneOf"]]
        return [] if [] in tried else min(tried, key=len)
    if value is None:
        return [] if schema.get("nullable") else [f"{at} is null"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{at} is {value!r}, not one of {schema['enum']}"]
    expected = schema.get("type")
    if expected in TYPES and (
        not isinstance(value, TYPES[expected])
        or (isinstance(value, bool) and expected != "boolean")
    ):
        return [f"{at} is {type(value).__name__}, the schema says {expected}"]
    if schema.get("format") == "date-time" and not _is_datetime(value):
        return [f"{at} is not an ISO 8601 date-time: {value!r}"]
    if expected == "array":
        return [
            p
            for i, v in enumerate(value)
            for p in mismatches(v, schema["items"], components, f"{at}[{i}]")
        ]
    if expected == "object":
        return _object_mismatches(value, schema, components, at)
    return []


def _object_mismatches(
    value: dict[str, Any], schema: dict[str, Any], components: dict[str, Any], at: str
) -> list[str]:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    problems = [f"{at}.{k} is required" for k in schema.get("required", ()) if k not in value]
    for key, item in value.items():
        field = properties.get(key, extra if isinstance(extra, dict) else None)
        if field is None:
            problems.append(f"{at}.{key} is not a field of the schema")
        else:
            problems += mismatches(item, field, components, f"{at}.{key}")
    return problems


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
