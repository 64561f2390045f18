"""Benchmark backends: one small interface, a registry, and the ``openai``, ``transformers`` and
``replay`` built-ins (the ``engine`` backend lives in :mod:`voltlens.bench.engine_backend`).

A backend has ``name``, ``model`` and ``answer(item, bench_dir) -> BackendAnswer``; it answers one
bench item (image paths relative to ``bench_dir``) with raw text, optionally a confidence in 0–1
and evidence (what it measured, for overlays).  It may raise: the runner counts the error as a
``backend_error`` result.  ``parallel`` tells the runner how to spread items: ``"process"``
(local, CPU-bound: worker processes, items of one figure together), ``"thread"`` (a server:
bounded concurrent requests) or ``"serial"``.  ``cacheable`` says whether answers are cached
under ``BENCH_DIR/.cache``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import DataError, ParameterError

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendAnswer",
    "OpenAIBackend",
    "ReplayBackend",
    "TransformersBackend",
    "get_backend",
    "prompt_for",
    "register_backend",
]


@dataclass(frozen=True, slots=True)
class BackendAnswer:
    raw: str
    confidence: float | None = None
    evidence: dict[str, Any] | None = None


@runtime_checkable
class Backend(Protocol):
    name: str
    model: str | None

    def answer(self, item: dict[str, Any], bench_dir: Path) -> BackendAnswer: ...


BACKENDS: dict[str, Callable[..., Backend]] = {}


def register_backend(name: str) -> Callable[[Callable[..., Backend]], Callable[..., Backend]]:
    """Decorator: register a backend factory (a class or a function taking keyword options)."""

    def deco(factory: Callable[..., Backend]) -> Callable[..., Backend]:
        BACKENDS[name] = factory
        return factory

    return deco


def _load_plugins() -> None:
    try:  # the engine backend registers itself on import
        from . import engine_backend  # noqa: F401
    except ImportError:
        pass


def get_backend(name: str, **options: Any) -> Backend:
    """A backend by name; options it does not take (``None`` ones included) are dropped."""
    if name not in BACKENDS:
        _load_plugins()
    if name not in BACKENDS:
        raise ParameterError("--backend", name, f"one of {', '.join(sorted(BACKENDS))}")
    factory = BACKENDS[name]
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in options.items() if v is not None and (takes_any or k in params)}
    return factory(**kwargs)


def prompt_for(item: dict[str, Any]) -> str:
    """The question plus the answer schema the model is asked to follow."""
    schema = item.get("answer_schema") or {}
    if schema.get("$ref"):
        return str(item["question"]) + "\nAnswer with the voltlens analysis JSON."
    return (
        f"{item['question']}\nAnswer with JSON that follows this schema "
        f'(quantities as {{"value", "unit"}}): {json.dumps(schema, separators=(",", ":"))}'
    )


def image_paths(item: dict[str, Any], bench_dir: Path) -> list[Path]:
    paths = [Path(bench_dir) / p for p in item.get("images") or []]
    if not paths:
        raise DataError(str(item.get("id")), "the item has no image", field="images")
    return paths


# ----------------------------------------------------------------------------------------------
# openai


@register_backend("openai")
@dataclass
class OpenAIBackend:
    """Any OpenAI-compatible server (``swift deploy``, vLLM, hosted APIs) through
    :class:`voltlens.vlm.openai_backend.OpenAIClient`, asked for JSON following the item's schema."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout_s: float = 120.0
    retries: int = 2
    max_tokens: int = 1024
    structured: bool = True
    name: str = "openai"
    parallel: str = "thread"
    cacheable: bool = True
    _client: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.base_url or not self.model:
            raise ParameterError(
                "--base-url/--model", (self.base_url, self.model), "both, for --backend openai"
            )
        from ..vlm.openai_backend import OpenAIClient

        self._client = OpenAIClient(
            self.base_url,
            self.model,
            api_key=self.api_key,
            timeout_s=self.timeout_s,
            retries=self.retries,
            max_tokens=self.max_tokens,
        )

    def answer(self, item: dict[str, Any], bench_dir: Path) -> BackendAnswer:
        from ..vlm.prompts import response_format

        images = image_paths(item, bench_dir)
        fmt = response_format(item["answer_schema"]) if self.structured else None
        return BackendAnswer(self._client.chat(images[0], prompt_for(item), response_format=fmt))


# ----------------------------------------------------------------------------------------------
# transformers


@register_backend("transformers")
@dataclass
class TransformersBackend:
    """A local Qwen2.5-VL checkpoint (``model`` is its folder) via
    :class:`voltlens.vlm.transformers_backend.TransformersVLM`; loaded once, answers in series."""

    model: str | None = None
    device: str = "cpu"
    max_tokens: int = 1024
    name: str = "transformers"
    parallel: str = "serial"
    cacheable: bool = True
    _vlm: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.model:
            raise ParameterError(
                "--model", self.model, "a local checkpoint folder, for --backend transformers"
            )

    def answer(self, item: dict[str, Any], bench_dir: Path) -> BackendAnswer:
        from ..vlm.prompts import SYSTEM_PROMPT
        from ..vlm.transformers_backend import TransformersVLM

        if self._vlm is None:
            self._vlm = TransformersVLM(str(self.model), device=self.device, max_new_tokens=self.max_tokens)
        images = image_paths(item, bench_dir)
        return BackendAnswer(self._vlm.chat(images[0], prompt_for(item), system_prompt=SYSTEM_PROMPT))


# ----------------------------------------------------------------------------------------------
# replay

_TEXT_KEYS = ("raw", "response", "answer", "output", "prediction", "predict", "text", "content")


def _text_of(row: dict[str, Any]) -> str | None:
    for key in _TEXT_KEYS:
        v = row.get(key)
        if isinstance(v, str):
            return v
        if isinstance(v, dict | list) and key in ("answer", "prediction", "output"):
            return json.dumps(v)
    messages = row.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        last = messages[-1]
        if last.get("role") == "assistant" and isinstance(last.get("content"), str):
            return last["content"]
    return None


def _question_of(row: dict[str, Any]) -> str | None:
    if isinstance(row.get("question"), str):
        return row["question"]
    for m in row.get("messages") or []:
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            return m["content"].replace("<image>", "").strip()
    return None


def _image_names(row: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for im in row.get("images") or ([row["image"]] if "image" in row else []):
        path = im.get("path") if isinstance(im, dict) else im
        if isinstance(path, str):
            out.append(Path(path).name)
    return tuple(out)


@register_backend("replay")
@dataclass
class ReplayBackend:
    """Answers read from a predictions JSONL made elsewhere (see docs/bench.md for the formats).

    Each line is matched to an item by ``id``; else by (image file name, question) as in
    ``swift infer`` output (``messages`` + ``images`` + ``response``); else by line order.  The
    answer text is the first of ``raw``, ``response``, ``answer``, ``output``, ``prediction``,
    ``predict``, ``text``, ``content`` or the last assistant message; ``confidence`` is kept.
    """

    predictions: str | Path | None = None
    model: str | None = None
    name: str = "replay"
    parallel: str = "serial"
    cacheable: bool = False
    _rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _by_id: dict[str, int] = field(default_factory=dict, repr=False)
    _by_question: dict[tuple[tuple[str, ...], str], int] = field(default_factory=dict, repr=False)
    _order: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.predictions:
            raise ParameterError(
                "--predictions", self.predictions, "a predictions JSONL, for --backend replay"
            )
        path = Path(self.predictions)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(str(path), f"cannot be read ({exc.__class__.__name__})") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise DataError(str(path), f"line {n} is not JSON", field=f"line {n}") from None
            if not isinstance(row, dict):
                raise DataError(str(path), f"line {n} is not a JSON object", field=f"line {n}")
            k = len(self._rows)
            self._rows.append(row)
            if isinstance(row.get("id"), str):
                self._by_id[row["id"]] = k
            q = _question_of(row)
            if q is not None:
                self._by_question[(_image_names(row), q)] = k
        if not self._rows:
            raise DataError(str(path), "has no predictions")

    def set_order(self, ids: list[str]) -> None:
        """The item ids in bench order, for matching lines without an id by position."""
        self._order = {i: k for k, i in enumerate(ids)}

    def _row(self, item: dict[str, Any]) -> dict[str, Any]:
        if item["id"] in self._by_id:
            return self._rows[self._by_id[item["id"]]]
        key = (tuple(Path(p).name for p in item.get("images") or []), str(item["question"]))
        for k in (key, ((), key[1])):
            if k in self._by_question:
                return self._rows[self._by_question[k]]
        if not self._by_id and not self._by_question and item["id"] in self._order:
            pos = self._order[item["id"]]
            if pos < len(self._rows):
                return self._rows[pos]
        raise DataError(str(self.predictions), f"no prediction for item {item['id']}")

    def answer(self, item: dict[str, Any], bench_dir: Path) -> BackendAnswer:
        row = self._row(item)
        text = _text_of(row)
        if text is None:
            raise DataError(str(self.predictions), f"the prediction for {item['id']} has no answer text")
        conf = row.get("confidence")
        ok = isinstance(conf, int | float) and not isinstance(conf, bool) and 0.0 <= conf <= 1.0
        evidence = row.get("evidence") if isinstance(row.get("evidence"), dict) else None
        return BackendAnswer(text, float(conf) if ok else None, evidence)
