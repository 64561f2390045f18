"""``voltlens bench build``: render the benchmark's figures and write its items, deterministically.

Figures come from :func:`voltlens.synth.runner.run_synth` with the dataset seed
:func:`voltlens.dataset.seeds.bench_seed` of the bench seed — a range the training builder
refuses, so no benchmark figure is ever a training sample.  Questions come from the shared
template registry (:mod:`voltlens.dataset.templates`): about each figure up to
``questions_per_figure`` distinct templates, each question given to the skill furthest below its
share of the spec's weights so that every skill is represented.  The same seed and spec give
byte-identical ``items.jsonl`` whatever the number of workers.

A directory of real figures with a ``labels.yaml`` (see ``docs/bench.md``) adds an extra split.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..atomic import atomic_write_bytes
from ..dataset.builder import QA_SEED_WORD
from ..dataset.seeds import bench_seed
from ..dataset.templates import QA, SKILLS, TEMPLATES, _tallest_peak, quantity, templates_for
from ..errors import ConfigError, DataError, ParameterError
from ..synth.runner import check_or_write_manifest, run_synth
from ..vlm.schema import schema_problems
from .spec import BenchSpec, load_spec

__all__ = ["BuildResult", "add_real", "build_bench", "figure_items", "load_real_items", "read_items"]

ITEM_PREFIX = "ecb1"
HEADROOM = 1.5  # figures rendered per needed figure: series figures allow fewer questions
REAL_LABELS = "labels.yaml"


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    n_items: int
    n_figures: int
    skills: dict[str, int] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# questions about one figure


def _candidates(label: dict[str, Any], rng: np.random.Generator, spec: BenchSpec) -> dict[str, QA]:
    """Every template of a weighted skill that can honestly be asked about ``label``."""
    out: dict[str, QA] = {}
    for t in templates_for(spec.skills):
        qa = t.generate(label, rng)
        if qa is not None:
            out[t.id] = qa
    return out


def _choose(
    candidates: dict[str, QA],
    rng: np.random.Generator,
    spec: BenchSpec,
    skill_counts: Counter[str],
    template_counts: Counter[str],
) -> list[QA]:
    """Up to ``questions_per_figure`` distinct templates: skill furthest below its share first,
    then its least-used template; ties broken by ``rng``."""
    total_w = sum(spec.skills.values())
    pool = dict(candidates)
    chosen: list[QA] = []
    while pool and len(chosen) < spec.questions_per_figure:
        total = sum(skill_counts.values()) + 1
        skills = sorted({qa.skill for qa in pool.values()})
        tie = rng.permutation(len(skills))
        skill = max(
            range(len(skills)),
            key=lambda k: (spec.skills[skills[k]] / total_w * total - skill_counts[skills[k]], -tie[k]),
        )
        ids = sorted(t for t, qa in pool.items() if qa.skill == skills[skill])
        tie_t = rng.permutation(len(ids))
        pick = ids[min(range(len(ids)), key=lambda k: (template_counts[ids[k]], tie_t[k]))]
        qa = pool.pop(pick)
        chosen.append(qa)
        skill_counts[qa.skill] += 1
        template_counts[qa.template] += 1
    return chosen


def _legends(label: dict[str, Any]) -> list[str]:
    return [str(c.get("legend") or "") for c in label["curves"]]


def _only_couple(curve: dict[str, Any]) -> dict[str, Any] | None:
    found = [c for c in curve["couples"] if c["cycle"] == 1]
    return found[0] if len(found) == 1 else None


def _curve_values(label: dict[str, Any], k: int) -> dict[str, Any]:
    """What the curve-choice templates report for curve ``k`` (where the label states it): its
    tallest peak from the background, its concentration, the E½ and ΔEp of its only couple."""
    out: dict[str, Any] = {}
    series = label.get("series") or {}
    height = _tallest_peak(label["curves"][k])
    if height is not None:
        out["current"] = quantity(height, "A")
    values = series.get("values") or []
    if series.get("kind") == "concentration" and k < len(values):
        out["concentration"] = quantity(values[k], "mM")
    couple = _only_couple(label["curves"][k])
    if couple is not None:
        out["E_half"] = quantity(couple["E_half_V"], "V")
        out["delta_Ep"] = quantity(couple["delta_Ep_V"], "V")
    return out


def alternatives(label: dict[str, Any], qa: QA) -> list[dict[str, Any]]:
    """Answers that are right for something else than what was asked, with the failure they reveal.

    * ``wrong_curve``: the answer of a curve-choice question for each *other* curve of the figure;
    * ``baseline_confusion``: peak currents read from zero current instead of from the background.
    """
    out: list[dict[str, Any]] = []
    truth = qa.answer
    if "curve" in truth:
        names = _legends(label)
        for k, name in enumerate(names):
            if not name or name == truth["curve"]:
                continue
            values = _curve_values(label, k)
            answer = {"curve": name, **{key: values[key] for key in truth if key in values}}
            out.append({"failure_mode": "wrong_curve", "answer": answer})
    if qa.template == "peaks.currents":
        curve = label["curves"][0]
        peaks = sorted((p for p in curve["peaks"] if p["cycle"] == 1), key=lambda p: p["potential_V"])
        raw = [
            {
                "direction": p["direction"],
                "potential": quantity(p["potential_V"], "V"),
                "current": quantity(p["current_A"] + p["baseline_A"], "A"),
            }
            for p in peaks
        ]
        out.append({"failure_mode": "baseline_confusion", "answer": {"peaks": raw}})
    return out


def figure_items(label: dict[str, Any], qas: list[QA], *, split: str = "synthetic") -> list[dict[str, Any]]:
    """The bench items (see docs/dev/bench-format.md) of one figure's chosen questions.

    ``truth``, ``tolerance``, ``alternatives`` and ``meta`` (which holds the true legend texts, the
    scorer's curve-name choices) are for scoring and the report only: the runner hands a backend
    just :data:`voltlens.bench.run.BACKEND_FIELDS` (id, images, question, answer schema, skill,
    template, fields, split), so nothing a backend sees leaks the truth.
    """
    sample = str(label["id"])
    meta = {
        "kind": label["kind"],
        "technique": label["technique"],
        "n_curves": len(label["curves"]),
        "degraded": label.get("degradation") is not None,
        "theme": (label.get("style") or {}).get("theme"),
        "legends": _legends(label) if len(label["curves"]) > 1 else [],
    }
    items = []
    for k, qa in enumerate(qas):
        items.append(
            {
                "id": f"{ITEM_PREFIX}-{sample}-q{k}",
                "split": split,
                "sample": sample,
                "images": [label["image"]],
                "question": qa.question,
                "skill": qa.skill,
                "template": qa.template,
                "fields": dict(qa.fields),
                "answer_schema": qa.answer_schema,
                "truth": qa.answer,
                "tolerance": qa.tolerance,
                "alternatives": alternatives(label, qa),
                "meta": meta,
            }
        )
    return items


# ----------------------------------------------------------------------------------------------
# files


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n" for r in rows
    ).encode()


def _labels(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def read_items(bench_dir: Path) -> list[dict[str, Any]]:
    """The items of a bench directory; a DataError naming the file when it is not one."""
    path = Path(bench_dir) / "items.jsonl"
    if not path.is_file():
        raise DataError(str(path), "no such file: not a bench directory (run `voltlens bench build`)")
    items = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                raise DataError(str(path), f"line {n} is not JSON", field=f"line {n}") from None
            if not isinstance(item, dict) or "id" not in item or "truth" not in item:
                raise DataError(str(path), f"line {n} is not a bench item", field=f"line {n}")
            items.append(item)
    return items


def _synthetic_items(
    labels_path: Path, n: int, dseed: int, spec: BenchSpec
) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    skill_counts: Counter[str] = Counter()
    template_counts: Counter[str] = Counter()
    used = 0
    for label in _labels(labels_path):
        if len(items) >= n:
            break
        rng = np.random.default_rng(np.random.SeedSequence([dseed, label["index"], QA_SEED_WORD]))
        qas = _choose(_candidates(label, rng, spec), rng, spec, skill_counts, template_counts)
        qas = qas[: n - len(items)]
        if qas:
            used += 1
            items += figure_items(label, qas)
    return items, used


# ----------------------------------------------------------------------------------------------
# real split


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _real_error(source: str, field: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(source, field, value, expected)


def load_real_items(real_dir: Path, out: Path) -> list[dict[str, Any]]:
    """Items of a real-figure directory (``labels.yaml``); images are copied under ``out/real/<split>/``."""
    real_dir = Path(real_dir)
    source = str(real_dir / REAL_LABELS)
    try:
        data = yaml.safe_load((real_dir / REAL_LABELS).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _real_error(source, "<file>", source, f"cannot be read ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        raise _real_error(source, "<yaml>", getattr(exc, "problem", str(exc)), "is not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data["items"]:
        raise _real_error(
            source, "items", None if not isinstance(data, dict) else data.get("items"), "a list"
        )
    split = str(data.get("split", "real"))
    if not split or split == "synthetic" or "/" in split:
        raise _real_error(source, "split", split, "a name other than 'synthetic', without '/'")
    items = []
    seen: set[str] = set()
    for k, entry in enumerate(data["items"]):
        where = f"items[{k}]"
        if not isinstance(entry, dict):
            raise _real_error(source, where, entry, "a mapping")
        items.append(_real_item(entry, where, source, real_dir, out, split, seen, k))
    return items


def _real_item(
    entry: dict[str, Any],
    where: str,
    source: str,
    real_dir: Path,
    out: Path,
    split: str,
    seen: set[str],
    k: int,
) -> dict[str, Any]:
    images = entry.get("images", [entry["image"]] if "image" in entry else None)
    if not isinstance(images, list) or not images or not all(isinstance(i, str) for i in images):
        raise _real_error(source, f"{where}.image", images, "an image file name (or images: a list)")
    for name in images:
        if not (real_dir / name).is_file():
            raise _real_error(source, f"{where}.image", name, f"an existing file in {real_dir}")
    template = entry.get("template")
    if template is not None and template not in TEMPLATES:
        raise _real_error(source, f"{where}.template", template, "a template id (voltlens dataset templates)")
    t = TEMPLATES.get(template) if template else None
    skill = entry.get("skill", t.skill if t else None)
    if skill not in SKILLS:
        raise _real_error(source, f"{where}.skill", skill, f"one of {', '.join(SKILLS)}")
    schema = entry.get("answer_schema", t.answer_schema if t else None)
    tolerance = entry.get("tolerance", t.tolerance if t else None)
    if not isinstance(schema, dict):
        raise _real_error(source, f"{where}.answer_schema", schema, "a JSON schema (or a template)")
    if not isinstance(tolerance, dict):
        raise _real_error(source, f"{where}.tolerance", tolerance, "a tolerance mapping (or a template)")
    question = entry.get("question", t.paraphrases[0].format_map(_Blank()) if t else None)
    if not isinstance(question, str) or "{" in question:
        raise _real_error(source, f"{where}.question", question, "the question text")
    truth = entry.get("truth")
    problems = schema_problems(truth, schema)
    if problems:
        raise _real_error(source, f"{where}.truth", truth, f"an answer that fits its schema ({problems[0]})")
    ident = str(entry.get("id") or f"{Path(images[0]).stem}-{k}")
    if ident in seen:
        raise _real_error(source, f"{where}.id", ident, "a unique id")
    seen.add(ident)
    rel = []
    for name in images:
        target = out / "real" / split / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_dir / name, target)
        rel.append(target.relative_to(out).as_posix())
    meta = {
        "kind": "single",
        "technique": None,
        "n_curves": 1,
        "degraded": False,
        "theme": None,
        "legends": [],
    }
    meta.update(entry.get("meta") or {})
    if entry.get("licence") or entry.get("source"):
        meta["source"] = entry.get("source")
        meta["licence"] = entry.get("licence")
    return {
        "id": f"{ITEM_PREFIX}-{split}-{ident}",
        "split": split,
        "sample": f"{split}-{Path(images[0]).stem}",
        "images": rel,
        "question": question,
        "skill": skill,
        "template": template or f"real:{ident}",
        "fields": {},
        "answer_schema": schema,
        "truth": truth,
        "tolerance": tolerance,
        "alternatives": list(entry.get("alternatives") or []),
        "meta": meta,
    }


# ----------------------------------------------------------------------------------------------
# the build


def build_bench(
    out: Path,
    *,
    n: int,
    seed: int,
    spec: BenchSpec | None = None,
    workers: int = 1,
    real: Path | list[Path] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Render the figures of ``n`` synthetic items into ``out`` and write the bench (resumable)."""
    if n < 1:
        raise ParameterError("--n", n, "at least 1")
    spec = spec or load_spec(None)
    dseed = bench_seed(seed)
    out = Path(out)
    n_figures = math.ceil(n / spec.questions_per_figure * HEADROOM) + 4
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": spec.name,
        "version": spec.version,
        "seed": seed,
        "n": n,
        "spec_sha256": spec.sha256(),
    }
    check_or_write_manifest(out / "bench-manifest.json", manifest, tuple(manifest))
    result = run_synth(
        n_figures, out, seed=dseed, config=spec.synth, workers=workers, on_progress=on_progress
    )
    if not result.complete:  # pragma: no cover - only with shards, which the bench does not use
        raise DataError(str(out), "the figures are not complete")
    items, used = _synthetic_items(out / "labels.jsonl", n, dseed, spec)
    if len(items) < n:
        raise DataError(str(out), f"only {len(items)} of {n} items could be asked on {n_figures} figures")
    reals = [] if real is None else ([real] if isinstance(real, str | Path) else list(real))
    for r in reals:
        items += load_real_items(Path(r), out)
    return _write_bench(out, items, spec=spec, seed=seed, dseed=dseed, n_synthetic_figures=used)


def _write_bench(
    out: Path,
    items: list[dict[str, Any]],
    *,
    spec: BenchSpec,
    seed: int,
    dseed: int,
    n_synthetic_figures: int,
) -> BuildResult:
    ids = [it["id"] for it in items]
    if len(set(ids)) != len(ids):
        dup = next(i for i, c in Counter(ids).items() if c > 1)
        raise ConfigError(str(out), "id", dup, "unique item ids across splits")
    data = _jsonl(items)
    skills = dict(sorted(Counter(it["skill"] for it in items).items()))
    splits = dict(sorted(Counter(it["split"] for it in items).items()))
    from .. import __version__

    bench = {
        "name": spec.name,
        "version": spec.version,
        "seed": seed,
        "dataset_seed": dseed,
        "n_items": len(items),
        "n_figures": n_synthetic_figures + len({it["sample"] for it in items if it["split"] != "synthetic"}),
        "n_synthetic_figures": n_synthetic_figures,
        "spec": spec.data,
        "spec_sha256": spec.sha256(),
        "items_sha256": hashlib.sha256(data).hexdigest(),
        "skills": skills,
        "splits": splits,
        "templates": dict(sorted(Counter(it["template"] for it in items).items())),
        "voltlens_version": __version__,
    }
    atomic_write_bytes(out / "items.jsonl", data)
    atomic_write_bytes(out / "bench.json", (json.dumps(bench, indent=2, ensure_ascii=False) + "\n").encode())
    return BuildResult(out, len(items), bench["n_figures"], skills, splits)


def add_real(bench_dir: Path, real_dir: Path) -> BuildResult:
    """Add (or replace) the real split of ``real_dir/labels.yaml`` in an existing bench."""
    from .spec import spec_from_mapping

    bench_dir = Path(bench_dir)
    path = bench_dir / "bench.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        spec = spec_from_mapping(info["spec"], source=str(path))
        seed, dseed, used = (
            int(info["seed"]),
            int(info["dataset_seed"]),
            int(info.get("n_synthetic_figures", 0)),
        )
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise DataError(str(path), "missing or not a bench.json: build the bench first") from None
    new = load_real_items(Path(real_dir), bench_dir)
    splits = {it["split"] for it in new}
    items = [it for it in read_items(bench_dir) if it["split"] not in splits] + new
    return _write_bench(bench_dir, items, spec=spec, seed=seed, dseed=dseed, n_synthetic_figures=used)
