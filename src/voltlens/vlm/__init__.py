"""Vision-language-model backends that answer in the analysis contract.

:func:`analyze_image_with_backend` is what ``voltlens analyze FIGURE --backend …`` calls:

* ``openai`` — any OpenAI-compatible server (``base_url``, ``model``);
* ``transformers`` — a local Qwen2.5-VL checkpoint (``model`` is its folder);
* ``hybrid`` — the VLM (openai when ``base_url`` is given, else transformers) and the built-in
  engine on the same image; disagreements listed, confidence lowered there.

The model's answer is parsed and validated into the contract; an unparseable or invalid answer
comes back as a valid, empty report whose ``skipped`` says why and whose ``vlm.status`` counts it —
never an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError, ParameterError, VoltlensError
from .parse import ParsedAnswer, extract_json, parse_answer, parse_report
from .schema import schema_problems

__all__ = [
    "BACKENDS",
    "ParsedAnswer",
    "analyze_image_with_backend",
    "ask_vlm",
    "engine_report",
    "extract_json",
    "parse_answer",
    "parse_report",
    "schema_problems",
]

BACKENDS = ("openai", "transformers", "hybrid")


def ask_vlm(
    image_path: str | Path,
    question: str,
    *,
    backend: str,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    response_format: dict[str, Any] | None = None,
    timeout_s: float = 120.0,
    retries: int = 2,
    max_tokens: int = 2048,
    device: str = "cpu",
) -> str:
    """The raw text answer of an ``openai`` or ``transformers`` backend."""
    if backend == "openai":
        from .openai_backend import OpenAIClient

        if not base_url or not model:
            raise ParameterError("--base-url/--model", (base_url, model), "both, for --backend openai")
        client = OpenAIClient(
            base_url, model, api_key=api_key, timeout_s=timeout_s, retries=retries, max_tokens=max_tokens
        )
        return client.chat(image_path, question, response_format=response_format)
    if backend == "transformers":
        from .prompts import SYSTEM_PROMPT
        from .transformers_backend import TransformersVLM

        if not model:
            raise ParameterError("--model", model, "a local checkpoint folder, for --backend transformers")
        return TransformersVLM(model, device=device, max_new_tokens=max_tokens).chat(
            image_path, question, system_prompt=SYSTEM_PROMPT
        )
    raise ParameterError("--backend", backend, "openai or transformers")


def engine_report(image_path: str | Path) -> dict[str, Any] | None:
    """The built-in engine's report of a figure (digitizer + analysis), or ``None`` if it cannot read it."""
    from ..analyze.contract import report_of
    from ..analyze.pipeline import as_voltammograms, find_digitizer, run_analysis

    digitize = find_digitizer()
    if digitize is None:
        return None
    try:
        curves = as_voltammograms(digitize(Path(image_path)), str(image_path))
        return report_of(run_analysis(curves)).model_dump(mode="json")
    except VoltlensError:
        return None


def _failed_report(image_path: str | Path, parsed: ParsedAnswer) -> dict[str, Any]:
    reason = f"model answer {parsed.status}: {'; '.join(parsed.problems[:3])}"
    return {
        "schema_version": "1",
        "curves": [],
        "series": None,
        "interpretation": "",
        "skipped": [{"source": str(image_path), "reason": reason}],
    }


def analyze_image_with_backend(
    image_path: str | Path,
    *,
    backend: str,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 120.0,
    retries: int = 2,
    max_tokens: int = 2048,
    device: str = "cpu",
    structured: bool = True,
) -> dict[str, Any]:
    """An AnalysisReport-compatible dict for one figure, read by a VLM (or VLM + engine).

    Extra keys (ignored by contract consumers): ``vlm`` = {backend, model, status, problems, raw},
    and for ``hybrid`` ``disagreements`` (list of strings).  ``status`` is ok, invalid,
    unparseable, refusal or error (server unreachable); only a bad argument raises.
    """
    if backend not in BACKENDS:
        raise ParameterError("--backend", backend, f"one of {', '.join(BACKENDS)}")
    if not Path(image_path).is_file():
        raise DataError(str(image_path), "no such image file")
    from .prompts import analysis_question, response_format
    from .schema import ANALYSIS_REF

    vlm_backend = backend if backend != "hybrid" else ("openai" if base_url else "transformers")
    try:
        text = ask_vlm(
            image_path,
            analysis_question(),
            backend=vlm_backend,
            base_url=base_url,
            model=model,
            api_key=api_key,
            response_format=response_format({"$ref": ANALYSIS_REF}) if structured else None,
            timeout_s=timeout_s,
            retries=retries,
            max_tokens=max_tokens,
            device=device,
        )
        parsed = parse_report(text)
    except ParameterError:
        raise
    except VoltlensError as exc:
        parsed = ParsedAnswer("error", None, (str(exc),), "")
    report = parsed.value if parsed.ok else _failed_report(image_path, parsed)
    if backend == "hybrid":
        from .hybrid import merge_reports

        engine = engine_report(image_path)
        report = (
            merge_reports(engine, parsed.value if parsed.ok else None) if (engine or parsed.ok) else report
        )
        report.setdefault("disagreements", [])
    report["vlm"] = {
        "backend": vlm_backend,
        "model": model,
        "status": parsed.status,
        "problems": list(parsed.problems),
        "raw": parsed.raw,
    }
    return report
