"""``voltlens bench run``: ask a backend every item of a bench, score the answers, write the run.

* local CPU-bound backends (``parallel = "process"``, e.g. the engine) run in worker processes;
  items are grouped by figure (``sample``) so each figure is read once per worker;
* servers (``parallel = "thread"``) get at most ``concurrency`` requests at a time;
* answers are cached per (backend, model, item) under ``BENCH_DIR/.cache`` (keyed also by the
  question and image bytes), so a rerun costs nothing; ``use_cache=False`` bypasses the cache;
* an exception of the backend, an unparseable answer or a refusal is a counted result, never a
  crash of the run;
* backends see only what a reader of the figure is given (:data:`BACKEND_FIELDS`: the id, the
  images, the question, the answer schema, the skill, the template, the question's ``fields`` and
  the split) — never the truth, the alternatives or ``meta`` (which holds the true legend texts);
* ``item_timeout`` (seconds, default :data:`ITEM_TIMEOUT_S`) bounds each answer of a backend run
  in this process or in worker processes (``parallel = "process"``, and the serial path): a
  ``SIGALRM`` interval timer interrupts the backend, and the item becomes a counted
  ``backend_error`` (``ItemTimeout``).  The timer fires between Python bytecodes, so a single
  C call (one numpy/OpenCV operation) finishes before it is interrupted.  Thread-parallel
  server backends rely on their own request timeouts.

Writes ``predictions.jsonl``, ``summary.json`` and ``run.json`` (atomically) into the run
directory; formats in docs/dev/bench-format.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..errors import DataError, ParameterError
from .answers import ParsedAnswer, parse_response
from .backends import Backend, get_backend
from .build import read_items
from .scoring import attribute_to_ocr, score, summarize

__all__ = [
    "BACKEND_FIELDS",
    "ITEM_TIMEOUT_S",
    "ItemTimeout",
    "answer_items",
    "backend_view",
    "cache_path",
    "default_run_dir",
    "run_bench",
    "score_answer",
]

Result = dict[str, Any]

# what a backend is given: a reader's view of the item (no truth, alternatives or meta)
BACKEND_FIELDS = ("id", "images", "question", "answer_schema", "skill", "template", "fields", "split")
ITEM_TIMEOUT_S = 120.0


class ItemTimeout(BaseException):
    """A backend ran past the per-item time limit (a BaseException, so that a backend's own
    ``except Exception`` cannot swallow it)."""


def backend_view(item: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``item`` a backend may see (:data:`BACKEND_FIELDS`)."""
    return {k: item[k] for k in BACKEND_FIELDS if k in item}


def _alarm(signum: int, frame: Any) -> None:
    raise ItemTimeout


def _can_time_out(timeout: float | None) -> bool:
    return (
        timeout is not None
        and timeout > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def _call_backend(backend: Backend, item: dict[str, Any], bench_dir: Path, timeout: float | None) -> Any:
    """``backend.answer`` on the reader's view of ``item``, interrupted after ``timeout`` seconds."""
    view = backend_view(item)
    if not _can_time_out(timeout):
        return backend.answer(view, bench_dir)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, float(timeout))
    try:
        return backend.answer(view, bench_dir)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def _slug(text: str | None) -> str:
    return "-" if not text else re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "-"


def default_run_dir(bench_dir: Path, backend: Backend) -> Path:
    model = getattr(backend, "model", None)
    suffix = "" if not model else "-" + _slug(Path(str(model)).name)
    return Path(bench_dir) / "runs" / f"{backend.name}{suffix}"


def cache_path(bench_dir: Path, backend: Backend, item: dict[str, Any]) -> Path:
    """``BENCH_DIR/.cache/<backend>/<model or '-'>/<item id>.json``."""
    return (
        Path(bench_dir) / ".cache" / _slug(backend.name) / _slug(backend.model) / f"{_slug(item['id'])}.json"
    )


def _cache_key(bench_dir: Path, backend: Backend, item: dict[str, Any]) -> str:
    from .. import __version__

    salt = getattr(backend, "cache_salt", "")  # a backend may name its own code/config version
    h = hashlib.sha256()
    h.update(
        f"{backend.name}\0{backend.model}\0{salt}\0{__version__}\0{item['id']}\0{item['question']}\0".encode()
    )
    for rel in item.get("images") or []:
        try:
            h.update((Path(bench_dir) / rel).read_bytes())
        except OSError:
            h.update(f"missing:{rel}".encode())
    return h.hexdigest()


def _answer_one(
    backend: Backend,
    item: dict[str, Any],
    bench_dir: Path,
    use_cache: bool,
    timeout: float | None = ITEM_TIMEOUT_S,
) -> Result:
    cacheable = use_cache and getattr(backend, "cacheable", True)
    path = cache_path(bench_dir, backend, item) if cacheable else None
    key = _cache_key(bench_dir, backend, item) if cacheable else None
    if path is not None and path.is_file():
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if cached.get("key") == key:
                return {**cached["result"], "cached": True}
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            pass
    t0 = time.perf_counter()
    try:
        ans = _call_backend(backend, item, bench_dir, timeout)
        result: Result = {
            "raw": str(ans.raw),
            "confidence": ans.confidence,
            "evidence": ans.evidence,
            "error": None,
        }
    except ItemTimeout:
        result = {
            "raw": "",
            "confidence": None,
            "evidence": None,
            "error": f"ItemTimeout: no answer within the {timeout:g} s per-item limit",
        }
    except Exception as exc:  # a failing backend is a counted result, never a crash
        result = {"raw": "", "confidence": None, "evidence": None, "error": f"{type(exc).__name__}: {exc}"}
    result["latency_s"] = time.perf_counter() - t0
    result["cached"] = False
    if path is not None and result["error"] is None:
        payload = {"key": key, "result": {k: v for k, v in result.items() if k != "cached"}}
        try:
            atomic_write_bytes(path, (json.dumps(payload, ensure_ascii=False, default=str) + "\n").encode())
        except DataError:
            pass  # a read-only bench still runs, uncached
    return result


# ----------------------------------------------------------------------------------------------
# worker processes

_WORKER: dict[str, Any] = {}


def _init_worker(backend: Backend, bench_dir: str, use_cache: bool, timeout: float | None = None) -> None:
    _WORKER.update(backend=backend, bench_dir=Path(bench_dir), use_cache=use_cache, timeout=timeout)


def _worker_task(batch: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, Result]]:
    b, d, c, t = _WORKER["backend"], _WORKER["bench_dir"], _WORKER["use_cache"], _WORKER.get("timeout")
    return [(k, _answer_one(b, item, d, c, t)) for k, item in batch]


def _batches(items: list[dict[str, Any]], workers: int) -> list[list[tuple[int, dict[str, Any]]]]:
    """Items grouped by figure; groups packed into about 4 batches per worker."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for k, it in enumerate(items):
        groups.setdefault(str(it.get("sample", it["id"])), []).append((k, it))
    n_batches = max(1, min(len(groups), 4 * workers))
    batches: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(n_batches)]
    for g, rows in enumerate(groups.values()):
        batches[g % n_batches].extend(rows)
    return [b for b in batches if b]


def answer_items(
    backend: Backend,
    items: list[dict[str, Any]],
    bench_dir: Path,
    *,
    workers: int = 1,
    concurrency: int = 4,
    use_cache: bool = True,
    on_done: Callable[[int], None] | None = None,
    item_timeout: float | None = ITEM_TIMEOUT_S,
) -> list[Result]:
    """The backend's raw answers to ``items``, in order (see the module docstring for parallelism)."""
    results: list[Result | None] = [None] * len(items)
    mode = getattr(backend, "parallel", "process")

    def done(k: int, r: Result) -> None:
        results[k] = r
        if on_done:
            on_done(1)

    if mode == "process" and workers > 1 and len(items) > 1:
        ctx = get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(backend, str(bench_dir), use_cache, item_timeout),
        ) as pool:
            futures = [pool.submit(_worker_task, b) for b in _batches(items, workers)]
            for fut in as_completed(futures):
                for k, r in fut.result():
                    done(k, r)
    elif mode == "thread" and concurrency > 1 and len(items) > 1:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futs = {
                pool.submit(_answer_one, backend, it, bench_dir, use_cache, None): k
                for k, it in enumerate(items)
            }
            for fut in as_completed(futs):
                done(futs[fut], fut.result())
    else:
        for k, it in enumerate(items):
            done(k, _answer_one(backend, it, bench_dir, use_cache, item_timeout))
    return [r for r in results if r is not None]


# ----------------------------------------------------------------------------------------------
# scoring and files


def score_answer(item: dict[str, Any], result: Result, backend: Backend) -> dict[str, Any]:
    """One line of ``predictions.jsonl``."""
    legends = list((item.get("meta") or {}).get("legends") or [])
    if result.get("error"):
        parsed = ParsedAnswer("error", None, (str(result["error"]),), "", {})
    else:
        parsed = parse_response(result.get("raw"), item["answer_schema"], choices=legends)
    s = attribute_to_ocr(score(item, parsed), result.get("evidence"))
    confidence = result.get("confidence")
    if confidence is None:
        confidence = parsed.extra.get("confidence")
    return {
        "id": item["id"],
        "skill": item["skill"],
        "template": item["template"],
        "sample": item.get("sample"),
        "split": item.get("split"),
        "backend": backend.name,
        "model": backend.model,
        "raw": result.get("raw") or "",
        "status": parsed.status,
        "parsed": parsed.value if isinstance(parsed.value, dict) else None,
        "truth": item["truth"],
        "tolerance": item["tolerance"],
        "correct": s.correct,
        "score": s.score,
        "failure_mode": s.failure_mode,
        "confidence": confidence,
        "categorical": s.categorical,
        "detail": s.detail,
        "latency_s": float(result.get("latency_s") or 0.0),
        "cached": bool(result.get("cached")),
        "evidence": result.get("evidence"),
    }


def _jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows).encode()


def _bench_info(bench_dir: Path) -> dict[str, Any]:
    path = Path(bench_dir) / "bench.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise DataError(
            str(path), "missing or not JSON: not a bench directory (run `voltlens bench build`)"
        ) from None
    return data


def _chosen(items: list[dict[str, Any]], ids: Sequence[str]) -> list[dict[str, Any]]:
    """The items whose id or figure (sample) is one of ``ids``; an id that names nothing is an error."""
    wanted = {i.strip() for i in ids if i.strip()}
    if not wanted:
        raise ParameterError("--ids", ",".join(ids), "one or more item or figure (sample) ids")
    known = {it["id"] for it in items} | {str(it["sample"]) for it in items if it.get("sample") is not None}
    unknown = sorted(wanted - known)
    if unknown:
        raise ParameterError("--ids", ",".join(unknown), "item ids or figure (sample) ids of this bench")
    return [it for it in items if it["id"] in wanted or str(it.get("sample")) in wanted]


def run_bench(
    bench_dir: Path,
    backend: Backend | str,
    *,
    out: Path | None = None,
    workers: int = 1,
    concurrency: int = 4,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    use_cache: bool = True,
    progress: bool = False,
    options: dict[str, Any] | None = None,
    item_timeout: float | None = ITEM_TIMEOUT_S,
) -> dict[str, Any]:
    """Run ``backend`` on the bench in ``bench_dir``; write the run into ``out``; return the summary.

    ``item_timeout``: seconds one answer may take (``None`` or 0: no limit); see the module docstring.
    ``ids``: only the items with these ids or on these figures (sample ids), in bench order.
    """
    if item_timeout is not None and not (item_timeout >= 0 and item_timeout < float("inf")):
        raise ParameterError("--item-timeout", item_timeout, "a number of seconds ≥ 0 (0: no limit)")
    if workers < 1:
        raise ParameterError("--workers", workers, "at least 1")
    if concurrency < 1:
        raise ParameterError("--concurrency", concurrency, "at least 1")
    if limit is not None and limit < 1:
        raise ParameterError("--limit", limit, "at least 1")
    bench_dir = Path(bench_dir)
    info = _bench_info(bench_dir)
    all_items = read_items(bench_dir)
    if isinstance(backend, str):
        backend = get_backend(backend, **(options or {}))
    if hasattr(backend, "set_order"):
        backend.set_order([it["id"] for it in all_items])
    items = _chosen(all_items, ids) if ids else all_items
    items = items[:limit] if limit else items
    out = Path(out) if out is not None else default_run_dir(bench_dir, backend)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    t0, c0 = time.perf_counter(), time.process_time()

    def answer(on_done: Callable[[int], None] | None = None) -> list[Result]:
        return answer_items(
            backend,
            items,
            bench_dir,
            workers=workers,
            concurrency=concurrency,
            use_cache=use_cache,
            on_done=on_done,
            item_timeout=item_timeout,
        )

    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn(f"{backend.name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("items", total=len(items))
            results = answer(lambda n: bar.advance(task, n))
    else:
        results = answer()
    predictions = [score_answer(it, r, backend) for it, r in zip(items, results, strict=True)]
    elapsed = time.perf_counter() - t0
    summary = summarize(predictions)
    summary.update(
        backend=backend.name,
        model=backend.model,
        bench={k: info.get(k) for k in ("name", "version", "seed", "n_items", "spec_sha256", "items_sha256")},
        elapsed_s=elapsed,
        cpu_s_main=time.process_time() - c0,
        n_cached=sum(p["cached"] for p in predictions),
        latency_s_median=_median([p["latency_s"] for p in predictions if not p["cached"]]),
    )
    from .. import __version__

    run = {
        "command": "voltlens bench run",
        "options": {
            "backend": backend.name,
            "model": backend.model,
            "workers": workers,
            "concurrency": concurrency,
            "limit": limit,
            "ids": None if not ids else list(ids),
            "use_cache": use_cache,
            "item_timeout_s": item_timeout,
            **{k: v for k, v in (options or {}).items() if k != "api_key"},
        },
        "bench_dir": str(bench_dir.resolve()),
        "bench": summary["bench"],
        "voltlens_version": __version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": elapsed,
    }
    atomic_write_bytes(out / "predictions.jsonl", _jsonl(predictions))
    atomic_write_bytes(
        out / "summary.json", (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()
    )
    atomic_write_bytes(
        out / "run.json", (json.dumps(run, indent=2, ensure_ascii=False, default=str) + "\n").encode()
    )
    summary["run_dir"] = str(out)
    return summary


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else 0.5 * (s[m - 1] + s[m])
