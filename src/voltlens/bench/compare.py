"""Compare two ECBench runs of the same bench: per-skill accuracy deltas and the items that changed.

``compare_runs(run_a, run_b)`` reads both run directories (``summary.json``, ``predictions.jsonl``,
``run.json``; formats in ``docs/dev/bench-format.md``), refuses runs made on different benches
(:class:`BenchMismatchError`), and compares them on the items both scored: overall and per-skill accuracy
with Wilson 95% intervals and whether the intervals overlap, the items right in A and wrong in B
(regressions) and wrong in A and right in B (improvements), each with both detail lines.
``format_comparison`` writes it as plain text for a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, VoltlensError
from .scoring import wilson

__all__ = [
    "BenchMismatchError",
    "Comparison",
    "ItemChange",
    "SkillDelta",
    "compare_runs",
    "format_comparison",
]

# bench fields that identify a bench; any that both runs state must agree
_IDENTITY = ("name", "version", "seed", "n_items", "spec_sha256", "items_sha256", "digest", "sha256")


class BenchMismatchError(VoltlensError):
    """The two runs were made on different benches (or share no item): comparing them means nothing."""

    def __init__(self, run_a: str, run_b: str, problem: str) -> None:
        self.run_a, self.run_b, self.problem = run_a, run_b, problem
        super().__init__(f"cannot compare {run_a} with {run_b}: {problem}")


@dataclass(frozen=True, slots=True)
class SkillDelta:
    """One skill on the common items: accuracies, Wilson 95% intervals, delta B − A, and overlap."""

    skill: str
    n: int
    accuracy_a: float
    accuracy_b: float
    ci_a: tuple[float, float]
    ci_b: tuple[float, float]
    delta: float
    ci_overlap: bool


@dataclass(frozen=True, slots=True)
class ItemChange:
    """An item scored right in one run and wrong in the other."""

    id: str
    skill: str
    template: str
    question: str | None
    failure_mode_a: str | None
    failure_mode_b: str | None
    detail_a: str
    detail_b: str
    raw_a: str
    raw_b: str


@dataclass(frozen=True, slots=True)
class Comparison:
    run_a: Path
    run_b: Path
    label_a: str
    label_b: str
    bench: dict[str, Any]
    n_common: int
    only_a: int
    only_b: int
    overall: SkillDelta
    skills: tuple[SkillDelta, ...]
    regressions: tuple[ItemChange, ...]
    improvements: tuple[ItemChange, ...]


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; a DataError naming the file when it is missing or not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(str(path), "not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(str(path), f"is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise DataError(str(path), f"holds a {type(data).__name__}, expected a JSON object")
    return data


def _read_predictions(path: Path) -> dict[str, dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(str(path), "not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(str(path), f"cannot be read ({exc})") from None
    out: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(str(path), f"line {number} is not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or "id" not in row:
            raise DataError(str(path), f"line {number} is not a prediction with an 'id'")
        out[str(row["id"])] = row
    return out


def _bench_identity(summary: Mapping[str, Any], run_info: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for source in (run_info.get("bench"), summary.get("bench")):
        if isinstance(source, Mapping):
            for k in _IDENTITY:
                if source.get(k) is not None:
                    found.setdefault(k, source[k])
    for k in ("bench_digest", "bench_sha256"):
        if run_info.get(k) is not None:
            found.setdefault("digest", run_info[k])
    return found


def _label(run_dir: Path, summary: Mapping[str, Any]) -> str:
    model = summary.get("model")
    return f"{run_dir.name} ({summary.get('backend', '?')}{', ' + str(model) if model else ''})"


def _delta(skill: str, a: list[bool], b: list[bool]) -> SkillDelta:
    n = len(a)
    ka, kb = sum(a), sum(b)
    ci_a, ci_b = wilson(ka, n), wilson(kb, n)
    acc_a, acc_b = (ka / n, kb / n) if n else (0.0, 0.0)
    overlap = ci_a[0] <= ci_b[1] and ci_b[0] <= ci_a[1]
    return SkillDelta(skill, n, acc_a, acc_b, ci_a, ci_b, acc_b - acc_a, overlap)


def _change(pa: Mapping[str, Any], pb: Mapping[str, Any]) -> ItemChange:
    return ItemChange(
        id=str(pa["id"]),
        skill=str(pa.get("skill", pb.get("skill", "?"))),
        template=str(pa.get("template", pb.get("template", "?"))),
        question=pa.get("question") or pb.get("question"),
        failure_mode_a=pa.get("failure_mode"),
        failure_mode_b=pb.get("failure_mode"),
        detail_a=str(pa.get("detail") or ""),
        detail_b=str(pb.get("detail") or ""),
        raw_a=str(pa.get("raw") or ""),
        raw_b=str(pb.get("raw") or ""),
    )


def compare_runs(run_a: str | Path, run_b: str | Path) -> Comparison:
    """Compare run B against run A on the items both scored; refuse runs of different benches."""
    a_dir, b_dir = Path(run_a), Path(run_b)
    for d in (a_dir, b_dir):
        if not d.is_dir():
            raise DataError(str(d), "is not a run directory (no such folder)")
    sa, sb = read_json_object(a_dir / "summary.json"), read_json_object(b_dir / "summary.json")
    ra = read_json_object(a_dir / "run.json") if (a_dir / "run.json").is_file() else {}
    rb = read_json_object(b_dir / "run.json") if (b_dir / "run.json").is_file() else {}
    ia, ib = _bench_identity(sa, ra), _bench_identity(sb, rb)
    for k in _IDENTITY:
        if k in ia and k in ib and ia[k] != ib[k]:
            raise BenchMismatchError(
                str(a_dir), str(b_dir), f"different benches ({k} {ia[k]!r} vs {ib[k]!r})"
            )
    pa, pb = _read_predictions(a_dir / "predictions.jsonl"), _read_predictions(b_dir / "predictions.jsonl")
    common = [i for i in pa if i in pb]
    if not common:
        raise BenchMismatchError(str(a_dir), str(b_dir), "the runs share no item id")
    for i in common:
        for key in ("template", "truth"):
            if key in pa[i] and key in pb[i] and pa[i][key] != pb[i][key]:
                raise BenchMismatchError(
                    str(a_dir),
                    str(b_dir),
                    f"item {i!r} has a different {key} in each run (different benches)",
                )
    by_skill: dict[str, tuple[list[bool], list[bool]]] = {}
    for i in common:
        fa, fb = by_skill.setdefault(str(pa[i].get("skill", "?")), ([], []))
        fa.append(bool(pa[i].get("correct")))
        fb.append(bool(pb[i].get("correct")))
    overall = _delta(
        "overall", [bool(pa[i].get("correct")) for i in common], [bool(pb[i].get("correct")) for i in common]
    )
    skills = tuple(_delta(s, *by_skill[s]) for s in sorted(by_skill))
    regressions = tuple(
        _change(pa[i], pb[i]) for i in common if pa[i].get("correct") and not pb[i].get("correct")
    )
    improvements = tuple(
        _change(pa[i], pb[i]) for i in common if not pa[i].get("correct") and pb[i].get("correct")
    )
    return Comparison(
        run_a=a_dir,
        run_b=b_dir,
        label_a=_label(a_dir, sa),
        label_b=_label(b_dir, sb),
        bench={**ia, **{k: v for k, v in ib.items() if k not in ia}},
        n_common=len(common),
        only_a=len(pa) - len(common),
        only_b=len(pb) - len(common),
        overall=overall,
        skills=skills,
        regressions=regressions,
        improvements=improvements,
    )


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def _row(d: SkillDelta, width: int) -> str:
    ci = lambda c: f"[{100 * c[0]:.1f}, {100 * c[1]:.1f}]"  # noqa: E731
    return (
        f"{d.skill:<{width}} {d.n:>5}  {_pct(d.accuracy_a)} {ci(d.ci_a):<14} {_pct(d.accuracy_b)} "
        f"{ci(d.ci_b):<14} {100 * d.delta:+6.1f}  {'yes' if d.ci_overlap else 'NO'}"
    )


def _changes(title: str, changes: tuple[ItemChange, ...], limit: int | None) -> list[str]:
    lines = [f"{title}: {len(changes)}"]
    shown = changes if limit is None else changes[:limit]
    for c in shown:
        lines.append(
            f"  {c.id}  {c.skill} / {c.template}  [{c.failure_mode_a or 'ok'} → {c.failure_mode_b or 'ok'}]"
        )
        if c.question:
            lines.append(f"      Q: {_one_line(c.question, 150)}")
        lines.append(f"      A: {_one_line(c.detail_a or c.raw_a or '(right)', 150)}")
        lines.append(f"      B: {_one_line(c.detail_b or c.raw_b or '(right)', 150)}")
    if len(shown) < len(changes):
        lines.append(f"  … {len(changes) - len(shown)} more")
    return lines


def _one_line(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def format_comparison(c: Comparison, *, limit: int | None = None) -> str:
    """The comparison as plain text: per-skill table (Δ in percentage points, B − A), then every regression
    and improvement item by item with both detail lines (at most ``limit`` of each when given)."""
    b = c.bench
    name = f"{b.get('name', 'bench')} v{b.get('version', '?')}" + (
        f", seed {b['seed']}" if "seed" in b else ""
    )
    lines = [
        f"Comparing on {name}: {c.n_common} items in common"
        + (f" ({c.only_a} only in A, {c.only_b} only in B)" if c.only_a or c.only_b else ""),
        f"  A = {c.label_a}",
        f"  B = {c.label_b}",
        "",
    ]
    width = max([len("overall"), len("skill")] + [len(d.skill) for d in c.skills])
    lines.append(
        f"{'skill':<{width}} {'n':>5}  {'A':>6} {'95% CI':<14} {'B':>6} {'95% CI':<14} {'Δ pt':>6}  CIs overlap"
    )
    lines += [_row(d, width) for d in c.skills]
    lines.append(_row(c.overall, width))
    lines.append("")
    lines += _changes("Regressions (right in A, wrong in B)", c.regressions, limit)
    lines.append("")
    lines += _changes("Improvements (wrong in A, right in B)", c.improvements, limit)
    return "\n".join(lines) + "\n"
