"""An optional language-model backend for questions the rule-based engine cannot answer.

With ``--backend openai`` (every question) or ``hybrid`` (only those the engine cannot answer)
the question and the analysis report (numbers only, never the raw data) go to an
OpenAI-compatible chat-completions endpoint: ``OPENAI_API_KEY`` and, optionally,
``OPENAI_BASE_URL`` (default ``https://api.openai.com/v1``).  Without a key, or when the call
fails, the engine's answer is returned unchanged with a note; the backend never raises.
"""

from __future__ import annotations

import os

from ..analyze.contract import AnalysisReport
from ..errors import VoltlensError
from ..vlm.openai_backend import OpenAIClient
from .models import AskAnswer
from .settings import ApiSettings

__all__ = ["vlm_answer"]

_SYSTEM = (
    "You are an electrochemist. Answer the question only from the voltammetry analysis JSON given; "
    "if it does not contain the answer, say so. Be brief and quote numbers with units."
)


def vlm_answer(engine: AskAnswer, report: AnalysisReport, settings: ApiSettings) -> AskAnswer:
    """The language model's answer, or the engine's with a note on why the model was not used."""
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        note = " (The language-model backend is configured but OPENAI_API_KEY is not set.)"
        return engine.model_copy(update={"answer": engine.answer + note})
    client = OpenAIClient(
        base_url=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        model=settings.openai_model,
        api_key=key,
        timeout_s=min(settings.timeout_s, 60.0),
        retries=1,
        max_tokens=1024,
        system_prompt=_SYSTEM,
    )
    question = f"Analysis:\n{report.model_dump_json()}\n\nQuestion: {engine.question}"
    try:
        text = client.chat(None, question).strip()
    except VoltlensError as exc:
        note = f" (The language-model backend failed: {exc.problem if hasattr(exc, 'problem') else exc}.)"
        return engine.model_copy(update={"answer": engine.answer + note})
    return engine.model_copy(
        update={
            "answered": True,
            "answer": text,
            "backend": f"openai:{settings.openai_model}",
            "confidence": min(engine.confidence, 0.5) if engine.answered else 0.3,
        }
    )
