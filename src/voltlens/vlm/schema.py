"""A small JSON-schema checker for the answer schemas of the template registry.

Covers what the templates use — ``type`` (one or a list), ``properties``, ``required``, ``items``,
``enum`` — plus ``{"$ref": "voltlens:analysis-schema"}``, which validates against the analysis
contract's pydantic model.  Returns the problems found (empty when the value conforms), never raises.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ANALYSIS_REF", "schema_problems"]

ANALYSIS_REF = "voltlens:analysis-schema"

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def schema_problems(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` fails ``schema``, as ``"<json path>: <problem>"`` strings."""
    if schema.get("$ref") == ANALYSIS_REF:
        from pydantic import ValidationError

        from ..analyze.contract import AnalysisReport

        try:
            AnalysisReport.model_validate(value)
        except ValidationError as exc:
            return [f"{path}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
        return []
    problems: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is(value, t) for t in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing {key!r}")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += schema_problems(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for k, item in enumerate(value):
            problems += schema_problems(item, schema["items"], f"{path}[{k}]")
    return problems
