"""Comparing two runs: planted regressions and improvements are found exactly, per-skill deltas and CI
overlaps agree with a direct count, and runs of different benches are refused."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from voltlens.bench.compare import BenchMismatchError, compare_runs, format_comparison
from voltlens.errors import DataError, VoltlensError

SKILLS = ("peak_detection", "values", "reversibility", "curve_comparison")
BENCH = {
    "name": "ECBench",
    "version": "1",
    "seed": 7,
    "n_items": 60,
    "spec_sha256": "abc",
    "items_sha256": "def",
}


def _write_run(out: Path, correct: dict[str, bool], *, bench: dict | None = None, tag: str = "a") -> Path:
    out.mkdir(parents=True)
    preds = []
    for item_id, ok in correct.items():
        k = int(
            re.search(r"(\d+)(?:-q1)?$", item_id).group(1)
        )  # item properties follow the id, not the order
        preds.append(
            {
                "id": item_id,
                "skill": SKILLS[k % len(SKILLS)],
                "template": f"t{k % 3}",
                "sample": f"s{k // 2}",
                "backend": tag,
                "model": None,
                "raw": f"raw {tag} {item_id}",
                "status": "ok",
                "parsed": {},
                "truth": {"x": k},
                "tolerance": {},
                "correct": ok,
                "score": float(ok),
                "failure_mode": None if ok else "wrong_value",
                "detail": "within tolerance" if ok else f"{tag}: E_half off on {item_id}",
            }
        )
    (out / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    summary = {
        "accuracy": float(np.mean(list(correct.values()))),
        "n_items": len(preds),
        "skills": {},
        "failure_modes": {},
        "backend": tag,
        "model": None,
        "bench": bench or BENCH,
    }
    (out / "summary.json").write_text(json.dumps(summary))
    (out / "run.json").write_text(json.dumps({"bench": bench or BENCH, "bench_dir": "/nowhere"}))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_regressions_and_improvements(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"ecb1-s{k:06d}-q1" for k in range(60)]
    a = {i: bool(rng.random() < 0.8) for i in ids}
    b = dict(a)
    right_in_a = [i for i in ids if a[i]]
    wrong_in_a = [i for i in ids if not a[i]]
    regress = set(rng.choice(right_in_a, size=5, replace=False))
    improve = set(rng.choice(wrong_in_a, size=min(3, len(wrong_in_a)), replace=False))
    for i in regress:
        b[i] = False
    for i in improve:
        b[i] = True
    c = compare_runs(_write_run(tmp_path / "A", a), _write_run(tmp_path / "B", b, tag="b"))
    assert {r.id for r in c.regressions} == regress
    assert {r.id for r in c.improvements} == improve
    assert c.n_common == 60 and c.only_a == c.only_b == 0
    assert all(
        r.detail_b.startswith("b: E_half off") and r.failure_mode_b == "wrong_value" for r in c.regressions
    )
    # per-skill deltas against a direct count
    skills = {s: [k for k in range(60) if SKILLS[k % len(SKILLS)] == s] for s in SKILLS}
    for d in c.skills:
        ks = skills[d.skill]
        acc_a = sum(a[ids[k]] for k in ks) / len(ks)
        acc_b = sum(b[ids[k]] for k in ks) / len(ks)
        assert d.n == len(ks)
        assert d.accuracy_a == pytest.approx(acc_a) and d.delta == pytest.approx(acc_b - acc_a)
        assert d.ci_overlap == (d.ci_a[0] <= d.ci_b[1] and d.ci_b[0] <= d.ci_a[1])
    assert c.overall.delta == pytest.approx((len(improve) - len(regress)) / 60)
    text = format_comparison(c)
    assert f"Regressions (right in A, wrong in B): {len(regress)}" in text
    for i in regress | improve:
        assert i in text
    assert all(d.skill in text for d in c.skills)


def test_wilson_intervals_and_overlap(tmp_path: Path) -> None:
    """All right in A and all wrong in B: disjoint intervals; the textbook Wilson bounds for 0/15 and 15/15."""
    ids = [f"i{k}" for k in range(60)]
    c = compare_runs(
        _write_run(tmp_path / "A", dict.fromkeys(ids, True)),
        _write_run(tmp_path / "B", dict.fromkeys(ids, False), tag="b"),
    )
    z = 1.959963984540054
    n = 15
    lo_all_right = n / (n + z * z)  # Wilson lower bound at p = 1: n / (n + z²)
    for d in c.skills:
        assert d.n == n and not d.ci_overlap
        assert d.ci_a[0] == pytest.approx(lo_all_right) and d.ci_b[1] == pytest.approx(1 - lo_all_right)
        assert math.isclose(d.delta, -1.0)
    assert len(c.regressions) == 60 and not c.improvements
    assert format_comparison(c, limit=3).count("\n      B: ") == 3


def test_partial_overlap_of_items(tmp_path: Path) -> None:
    a = {f"i{k}": True for k in range(40)}
    b = {f"i{k}": k % 2 == 0 for k in range(20, 60)}
    c = compare_runs(_write_run(tmp_path / "A", a), _write_run(tmp_path / "B", b, tag="b"))
    assert c.n_common == 20 and c.only_a == 20 and c.only_b == 20
    assert {r.id for r in c.regressions} == {f"i{k}" for k in range(21, 40, 2)}


@pytest.mark.parametrize(
    "field, value", [("seed", 8), ("version", "2"), ("items_sha256", "other"), ("name", "OtherBench")]
)
def test_different_benches_refused(tmp_path: Path, field: str, value: object) -> None:
    ids = {f"i{k}": True for k in range(10)}
    other = {**BENCH, field: value}
    with pytest.raises(BenchMismatchError, match=f"different benches \\({field}") as info:
        compare_runs(_write_run(tmp_path / "A", ids), _write_run(tmp_path / "B", ids, bench=other, tag="b"))
    assert isinstance(info.value, VoltlensError)


def test_same_ids_different_truths_refused(tmp_path: Path) -> None:
    ids = {f"i{k}": True for k in range(10)}
    a, b = _write_run(tmp_path / "A", ids), _write_run(tmp_path / "B", ids, tag="b")
    rows = [json.loads(x) for x in (b / "predictions.jsonl").read_text().splitlines()]
    rows[3]["truth"] = {"x": -1}
    (b / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(BenchMismatchError, match="'i3' has a different truth"):
        compare_runs(a, b)


def test_no_common_items_refused(tmp_path: Path) -> None:
    a = _write_run(tmp_path / "A", {"x1": True})
    b = _write_run(tmp_path / "B", {"y1": True}, tag="b")
    with pytest.raises(BenchMismatchError, match="share no item"):
        compare_runs(a, b)


def test_missing_run_is_a_clear_error(tmp_path: Path) -> None:
    a = _write_run(tmp_path / "A", {"x1": True})
    with pytest.raises(DataError, match="not a run directory"):
        compare_runs(a, tmp_path / "missing")
    (tmp_path / "B").mkdir()
    with pytest.raises(DataError, match=r"summary\.json"):
        compare_runs(a, tmp_path / "B")
