"""What a VLM is asked: the system prompt, the analysis question, and JSON-schema response formats."""

from __future__ import annotations

from typing import Any

__all__ = ["SYSTEM_PROMPT", "analysis_question", "response_format"]

SYSTEM_PROMPT = (
    "You are an expert electrochemist reading voltammetry figures. Report potentials in V and currents in A "
    "(anodic current positive), and answer with JSON that follows the requested schema."
)


def analysis_question() -> str:
    """The question that asks for the full analysis contract (the report template's first paraphrase)."""
    from ..dataset.templates import TEMPLATES

    return TEMPLATES["interpretation.report"].paraphrases[0]


def response_format(schema: dict[str, Any], name: str = "voltlens_answer") -> dict[str, Any]:
    """An OpenAI ``response_format`` asking for JSON that follows ``schema``."""
    from .schema import ANALYSIS_REF

    if schema.get("$ref") == ANALYSIS_REF:
        from ..analyze.contract import analysis_schema

        schema, name = analysis_schema(), "voltlens_analysis"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
