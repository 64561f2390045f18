"""Turning a model's free text into a validated answer: JSON extraction, schema checks, refusals.

A model may answer with bare JSON, JSON in a Markdown fence, an explanation followed by JSON,
or prose.  :func:`parse_answer` finds the JSON (the last well-formed object wins), checks it
against the question's schema and says what happened — ``ok``, ``invalid`` (JSON that breaks the
schema), ``unparseable`` (no JSON at all) or ``refusal`` — instead of raising.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .schema import ANALYSIS_REF, schema_problems

__all__ = ["ParsedAnswer", "extract_json", "parse_answer", "parse_report"]

Status = Literal["ok", "invalid", "unparseable", "refusal", "error"]
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_REFUSAL = re.compile(
    r"^\s*(i\s*(?:am|'m)\s+(?:sorry|unable)|i\s+can(?:no|')t|sorry,|as an ai|i\s+cannot)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    status: Status
    value: Any = None
    problems: tuple[str, ...] = ()
    raw: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _objects(text: str) -> list[str]:
    """Every balanced top-level ``{…}`` span of ``text`` (strings and escapes respected)."""
    spans, depth, start, in_str, esc = [], 0, -1, False, False
    for k, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = k
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : k + 1])
    return spans


def extract_json(text: str) -> Any | None:
    """The JSON value a model's answer carries, or ``None`` when there is none."""
    stripped = text.strip()
    candidates = [stripped, *(m.strip() for m in reversed(_FENCE.findall(text)))]
    candidates += list(reversed(_objects(text)))
    for c in candidates:
        if not c or c[0] not in "{[":
            continue
        try:
            return json.loads(c)
        except json.JSONDecodeError:
            continue
    return None


def parse_answer(text: str | None, schema: dict[str, Any]) -> ParsedAnswer:
    """Extract and validate the answer to a question whose answer schema is ``schema``."""
    raw = text or ""
    value = extract_json(raw)
    if value is None:
        if _REFUSAL.search(raw):
            return ParsedAnswer("refusal", None, ("the model declined to answer",), raw)
        return ParsedAnswer("unparseable", None, ("no JSON object in the answer",), raw)
    problems = schema_problems(value, schema)
    return ParsedAnswer("invalid" if problems else "ok", value, tuple(problems), raw)


def parse_report(text: str | None) -> ParsedAnswer:
    """Extract an analysis-contract report; ``value`` is the validated, normalised dict when ok."""
    parsed = parse_answer(text, {"$ref": ANALYSIS_REF})
    if not parsed.ok:
        return parsed
    from ..analyze.contract import AnalysisReport

    report = AnalysisReport.model_validate(parsed.value).model_dump(mode="json")
    return ParsedAnswer("ok", report, (), parsed.raw)
