"""``voltlens schema NAME``: print the JSON Schema of one of voltlens's published contracts."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Annotated, Any

import typer

from ..errors import ParameterError

#: contract name → (module, function returning the schema); imported only when asked for.
SCHEMAS: dict[str, tuple[str, str]] = {
    "analysis": ("voltlens.analyze.contract", "analysis_schema"),
    "labels": ("voltlens.labels", "labels_schema"),
}


def register(app: typer.Typer) -> None:
    app.command("schema", help="Print the JSON Schema of a contract: " + ", ".join(sorted(SCHEMAS)) + ".")(
        schema
    )


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema registered under ``name``."""
    if name not in SCHEMAS:
        raise ParameterError("NAME", name, f"one of {', '.join(sorted(SCHEMAS))}")
    module_name, function = SCHEMAS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ParameterError(
                "NAME", name, f"a contract this installation provides ({module_name} is missing)"
            ) from None
        raise
    return getattr(module, function)()


def schema(
    name: Annotated[str, typer.Argument(help="contract name: " + " | ".join(sorted(SCHEMAS)))],
) -> None:
    sys.stdout.write(json.dumps(load_schema(name), indent=2, ensure_ascii=False) + "\n")
