"""``voltlens dataset build``: rendered figures plus templated questions, split and exported for fine-tuning.

Images and labels come from :func:`voltlens.synth.runner.run_synth` (resumable, sharded,
byte-reproducible); this module adds the question–answer stage, which is cheap and recomputed
from the labels on every run:

* ``questions_per_image`` questions per figure from distinct templates, skills drawn by weight;
* train/val/test assigned per *group* — a hash of coarsely binned simulation parameters — so that
  curves drawn from nearly the same parameters never straddle two splits;
* de-duplication by image hash (a repeated image keeps its first index) and by (image, question);
* ms-swift JSONL (``train.jsonl``, ``val.jsonl``, ``test.jsonl``), LLaVA and ShareGPT exports,
  ``qa.jsonl`` with every item's skill, schema and tolerance, and a dataset card with plots.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError, ParameterError
from ..synth.config import SynthConfig, config_from_mapping, first_error
from ..synth.runner import atomic_write_bytes, check_or_write_manifest, run_synth
from .seeds import check_training_seed
from .templates import QA, SKILLS, generate_qa

__all__ = [
    "BuildResult",
    "DatasetMix",
    "assistant_content",
    "build_dataset",
    "group_key",
    "load_mix",
    "split_of",
]

SPLITS = ("train", "val", "test")
QA_SEED_WORD = 0x51A  # third word of the QA generator's seed sequence, apart from synth's streams


class DatasetMix(BaseModel):
    """Question-stage settings of a mixing YAML; every other key goes to :class:`SynthConfig`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    skills: dict[str, float] = Field(
        default_factory=lambda: {
            "peak_detection": 1.0,
            "values": 1.0,
            "curve_comparison": 1.0,
            "anomaly_detection": 1.0,
            "concentration": 1.0,
            "reversibility": 1.0,
            "scan_rate": 1.0,
            "interpretation": 1.0,
        }
    )
    questions_per_image: int = Field(default=3, ge=1, le=12)
    splits: dict[str, float] = Field(default_factory=lambda: {"train": 0.9, "val": 0.05, "test": 0.05})
    answer_style: Literal["text+json", "json"] = "text+json"

    @field_validator("skills")
    @classmethod
    def _check_skills(cls, v: dict[str, float]) -> dict[str, float]:
        for key, w in v.items():
            if key not in SKILLS:
                raise ValueError(f"unknown skill {key!r}; expected one of {', '.join(SKILLS)}")
            if not w >= 0:
                raise ValueError(f"weight of {key!r} must be ≥ 0, got {w!r}")
        if sum(v.values()) <= 0:
            raise ValueError("at least one skill weight must be positive")
        return v

    @field_validator("splits")
    @classmethod
    def _check_splits(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != set(SPLITS):
            raise ValueError(f"must name exactly {', '.join(SPLITS)}, got {sorted(v)}")
        if any(not w >= 0 for w in v.values()) or not math.isclose(sum(v.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"fractions must be ≥ 0 and sum to 1, got {v}")
        return v


@dataclass(frozen=True, slots=True)
class Mix:
    dataset: DatasetMix
    synth: SynthConfig

    def digest(self) -> str:
        text = json.dumps(self.dataset.model_dump(mode="json"), sort_keys=True) + self.synth.digest()
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_mix(path: str | Path | None) -> Mix:
    """Read a mixing YAML: question-stage keys (skills, questions_per_image, splits, answer_style)
    and any :class:`~voltlens.synth.config.SynthConfig` key; ``None`` → the defaults."""
    if path is None:
        return Mix(DatasetMix(), SynthConfig())
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(source, "<file>", source, f"cannot be read ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, "<yaml>", getattr(exc, "problem", str(exc)), "is not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(source, "<root>", data, "must be a mapping of fields")
    own = {k: v for k, v in data.items() if k in DatasetMix.model_fields}
    rest = {k: v for k, v in data.items() if k not in DatasetMix.model_fields}
    try:
        dataset = DatasetMix.model_validate(own)
    except ValidationError as exc:
        raise first_error(source, exc, own) from None
    return Mix(dataset, config_from_mapping(rest, source=source))


# ----------------------------------------------------------------------------------------------
# groups and splits


def _bin_log(x: float | None, per_decade: float = 4.0) -> int | None:
    if x is None or not x > 0:
        return None
    return math.floor(math.log10(x) * per_decade)


def group_key(label: dict[str, Any]) -> str:
    """Coarsely binned simulation parameters of a figure: near-copies share a key.

    Potentials in 50 mV bins; concentration, coverage, diffusion coefficient, rate constants and
    scan rate in quarter decades; plus kind, technique and mechanisms.  Overlay and series curves
    derive from one draw, so the first curve stands for the figure.
    """
    curve = label["curves"][0]
    parts: list[Any] = [label["kind"], label["technique"], len(label["curves"])]
    for s in curve["species"]:
        p = s["params"]
        e0 = p.get("e0_V", p.get("e0_1_V"))
        parts += [
            s["mechanism"],
            None if e0 is None else round(e0 / 0.05),
            _bin_log(p.get("concentration_mol_m3")),
            _bin_log(p.get("coverage_mol_m2")),
            _bin_log(p.get("diffusion_m2_s")),
            _bin_log(p.get("k0_m_s")),
            _bin_log(p.get("kf_per_s")),
            p.get("initially"),
        ]
    parts.append(_bin_log(curve.get("scan_rate_V_s")))
    text = json.dumps(parts, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def split_of(group: str, fractions: dict[str, float]) -> str:
    """The split a group falls in: a uniform number from its hash against the cumulative fractions."""
    u = int(group[:12], 16) / float(16**12)
    edge = 0.0
    for name in SPLITS:
        edge += fractions[name]
        if u < edge:
            return name
    return SPLITS[-1]


# ----------------------------------------------------------------------------------------------
# records


def assistant_content(qa: QA, style: str) -> str:
    """The assistant turn: the explanation then the JSON answer, or the JSON alone."""
    payload = json.dumps(qa.answer, ensure_ascii=False, separators=(",", ":"))
    if style == "json" or qa.template == "interpretation.report":
        return payload
    return f"{qa.answer_text}\n{payload}"


def _swift(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": "<image>" + item["question"]},
            {"role": "assistant", "content": item["response"]},
        ],
        "images": [item["image_path"]],
    }


def _sharegpt(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "conversations": [
            {"from": "human", "value": "<image>" + item["question"]},
            {"from": "gpt", "value": item["response"]},
        ],
        "images": [item["image_path"]],
    }


def _llava(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "image": item["image_path"],
        "conversations": [
            {"from": "human", "value": "<image>\n" + item["question"]},
            {"from": "gpt", "value": item["response"]},
        ],
    }


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows).encode()


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    complete: bool
    n_images: int
    n_items: int
    counts: dict[str, int]
    duplicates: dict[str, int]


def _labels(synth_dir: Path) -> Iterator[dict[str, Any]]:
    with (synth_dir / "labels.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _items(synth_dir: Path, n: int, seed: int, mix: Mix) -> tuple[list[dict[str, Any]], dict[str, int]]:
    items: list[dict[str, Any]] = []
    seen_images: set[str] = set()
    seen_questions: set[tuple[str, str]] = set()
    dups = {"image": 0, "question": 0}
    root = synth_dir.resolve()
    for label in _labels(synth_dir):
        if len(items) >= n:
            break
        image = root / label["image"]
        digest = hashlib.sha256(image.read_bytes()).hexdigest()
        if digest in seen_images:
            dups["image"] += 1
            continue
        seen_images.add(digest)
        group = group_key(label)
        split = split_of(group, mix.dataset.splits)
        rng = np.random.default_rng(np.random.SeedSequence([seed, label["index"], QA_SEED_WORD]))
        qas = generate_qa(label, rng, n=mix.dataset.questions_per_image, skills=mix.dataset.skills)
        for k, qa in enumerate(qas):
            if (digest, qa.question) in seen_questions:
                dups["question"] += 1
                continue
            seen_questions.add((digest, qa.question))
            items.append(
                {
                    "id": f"{label['id']}-{k}",
                    "index": label["index"],
                    "split": split,
                    "group": group,
                    "image": label["image"],
                    "image_path": str(image),
                    "image_sha256": digest,
                    "kind": label["kind"],
                    "technique": label["technique"],
                    "theme": label["style"].get("theme"),
                    "degraded": label.get("degradation") is not None,
                    "template": qa.template,
                    "skill": qa.skill,
                    "question": qa.question,
                    "answer": qa.answer,
                    "answer_text": qa.answer_text,
                    "answer_schema": qa.answer_schema,
                    "tolerance": qa.tolerance,
                    "response": assistant_content(qa, mix.dataset.answer_style),
                }
            )
            if len(items) >= n:
                break
    return items, dups


def _manifest(n: int, seed: int, mix: Mix, n_images: int) -> dict[str, Any]:
    from .. import __version__

    return {
        "generator": "voltlens dataset build",
        "version": __version__,
        "n": n,
        "seed": seed,
        "n_images": n_images,
        "mix_digest": mix.digest(),
        "dataset": mix.dataset.model_dump(mode="json"),
    }


def _check_manifest(out: Path, manifest: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    check_or_write_manifest(out / "dataset.json", manifest, ("n", "seed", "mix_digest", "version"))


def build_dataset(
    n: int,
    out: Path,
    *,
    seed: int,
    mix: Mix | None = None,
    workers: int = 1,
    shard: tuple[int, int] = (1, 1),
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Render ``⌈n / questions_per_image⌉`` figures into ``out/synth`` and write ``n`` QA items.

    Re-running with the same arguments resumes: finished figures are skipped.  With ``shard``
    only that shard's figures are rendered; the QA stage runs once every shard is done.
    """
    check_training_seed(seed)
    if n < 1:
        raise ParameterError("--n", n, "at least 1")
    mix = mix or load_mix(None)
    n_images = math.ceil(n / mix.dataset.questions_per_image)
    # headroom for figures where fewer questions can be asked honestly
    n_images = math.ceil(n_images * 1.05) + 2
    _check_manifest(out, _manifest(n, seed, mix, n_images))
    synth_dir = out / "synth"
    result = run_synth(
        n_images,
        synth_dir,
        seed=seed,
        config=mix.synth,
        workers=workers,
        shard=shard,
        on_progress=on_progress,
    )
    if not result.complete:
        return BuildResult(out, False, n_images, 0, {}, {})
    items, dups = _items(synth_dir, n, seed, mix)
    by_split = {s: [it for it in items if it["split"] == s] for s in SPLITS}
    for s, rows in by_split.items():
        atomic_write_bytes(out / f"{s}.jsonl", _jsonl([_swift(r) for r in rows]))
        atomic_write_bytes(out / "exports" / "sharegpt" / f"{s}.jsonl", _jsonl([_sharegpt(r) for r in rows]))
        llava = json.dumps([_llava(r) for r in rows], ensure_ascii=False, indent=1)
        atomic_write_bytes(out / "exports" / "llava" / f"{s}.json", (llava + "\n").encode())
    atomic_write_bytes(
        out / "qa.jsonl", _jsonl([{k: v for k, v in r.items() if k != "response"} for r in items])
    )
    from .card import write_card

    write_card(out, items, dups=dups, seed=seed, n_images=n_images)
    return BuildResult(out, True, n_images, len(items), {s: len(r) for s, r in by_split.items()}, dups)


def item_counts(items: list[dict[str, Any]], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(it[key]) for it in items).items()))
