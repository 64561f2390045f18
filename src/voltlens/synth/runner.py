"""Writes a synthetic dataset to disk: images, per-sample label parts, ``labels.jsonl`` and a manifest.

This is the file-system edge of :mod:`voltlens.synth`; samples themselves come from the pure
:func:`voltlens.synth.sample.generate_sample`.  Every sample depends only on (seed, index, config),
so the output is byte-identical whatever the number of workers or shards, a run can be resumed,
and shards of an array job can share one directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from .. import __version__
from ..atomic import atomic_write_bytes
from ..errors import ConfigError, ParameterError
from .config import SynthConfig

__all__ = ["SynthResult", "atomic_write_bytes", "parse_shard", "run_synth", "sample_id"]

MANIFEST = "manifest.json"
LABELS = "labels.jsonl"


def sample_id(index: int) -> str:
    return f"{index:06d}"


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"2/8"`` → ``(2, 8)``; ``None`` → ``(1, 1)``."""
    if text is None:
        return 1, 1
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ParameterError("--shard", text, "the form i/N with whole numbers, e.g. 2/8") from None
    if not (n >= 1 and 1 <= i <= n):
        raise ParameterError("--shard", text, "1 ≤ i ≤ N")
    return i, n


@dataclass(frozen=True, slots=True)
class SynthResult:
    out: Path
    written: int
    skipped: int
    complete: bool


def _manifest(n: int, seed: int, config: SynthConfig) -> dict:
    return {
        "generator": "voltlens synth",
        "version": __version__,
        "seed": seed,
        "n": n,
        "config_digest": config.digest(),
        "config": config.model_dump(mode="json"),
    }


def check_or_write_manifest(path: Path, manifest: dict, keys: tuple[str, ...]) -> None:
    """Write ``manifest`` to ``path``, or, when one is there, refuse to resume a different run
    (any of ``keys`` differing) with a ConfigError naming the field."""
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise ConfigError(str(path), "<file>", "unreadable", "is not a voltlens manifest") from None
        for key in keys:
            if old.get(key) != manifest[key]:
                raise ConfigError(
                    str(path),
                    key,
                    old.get(key),
                    f"differs from this run's {manifest[key]!r}; use a new --out",
                )
        return
    atomic_write_bytes(path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


def _done(out: Path, index: int) -> bool:
    sid = sample_id(index)
    return (out / "parts" / f"{sid}.json").exists() and (out / "images" / f"{sid}.png").exists()


def write_sample(out: Path, index: int, seed: int, config: SynthConfig) -> int:
    """Generate one sample and write its image, then its label part (the part marks it done)."""
    from .sample import generate_sample

    sample = generate_sample(index, seed=seed, config=config)
    atomic_write_bytes(out / sample.label["image"], sample.png)
    line = json.dumps(sample.label, sort_keys=True, separators=(",", ":"), allow_nan=False)
    atomic_write_bytes(out / "parts" / f"{sample_id(index)}.json", (line + "\n").encode())
    return index


def _assemble_labels(out: Path, n: int) -> bool:
    parts = [out / "parts" / f"{sample_id(i)}.json" for i in range(n)]
    if not all(p.exists() for p in parts):
        return False
    atomic_write_bytes(out / LABELS, b"".join(p.read_bytes() for p in parts))
    return True


def _worker(args: tuple[str, int, int, dict]) -> int:
    out, index, seed, config = args
    return write_sample(Path(out), index, seed, SynthConfig.model_validate(config))


def run_synth(
    n: int,
    out: Path,
    *,
    seed: int,
    config: SynthConfig,
    workers: int = 1,
    shard: tuple[int, int] = (1, 1),
    on_progress: Callable[[int, int], None] | None = None,
) -> SynthResult:
    """Write samples ``shard_i-1, shard_i-1+N, …`` of ``n`` into ``out``; skip those already done."""
    if n < 1:
        raise ParameterError("--n", n, "at least 1")
    if workers < 1:
        raise ParameterError("--workers", workers, "at least 1")
    out.mkdir(parents=True, exist_ok=True)
    check_or_write_manifest(
        out / MANIFEST, _manifest(n, seed, config), ("seed", "n", "config_digest", "version")
    )
    i, total = shard
    mine = range(i - 1, n, total)
    pending = [k for k in mine if not _done(out, k)]
    skipped = len(mine) - len(pending)
    if on_progress:
        on_progress(skipped, len(mine))
    done = skipped
    for _ in _execute(out, pending, seed, config, workers):
        done += 1
        if on_progress:
            on_progress(done, len(mine))
    complete = _assemble_labels(out, n)
    return SynthResult(out=out, written=len(pending), skipped=skipped, complete=complete)


def _execute(out: Path, indices: list[int], seed: int, config: SynthConfig, workers: int) -> Iterable[int]:
    if workers == 1 or len(indices) <= 1:
        for k in indices:
            yield write_sample(out, k, seed, config)
        return
    payload = config.model_dump(mode="json")
    tasks = [(str(out), k, seed, payload) for k in indices]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        yield from pool.map(_worker, tasks, chunksize=max(1, min(16, len(tasks) // (4 * workers))))
