"""The HTML run report: built from a small bench of real synthetic figures (``voltlens.synth``) with
questions from the template registry, and a hand-made run whose right and wrong answers are planted.

Truths are independent of the report code: the headline and rows come from the summary.json written
here, confusion counts are recounted from predictions.jsonl, overlay positions are checked against the
rendered figure itself (the curve must pass under each true peak marker).
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
import re
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from voltlens.bench.report import (
    PRED_RGB,
    TRUTH_RGB,
    Mark,
    load_run,
    overlay_marks,
    render_overlay,
    render_report,
    write_report,
)
from voltlens.dataset.templates import TEMPLATES
from voltlens.errors import DataError
from voltlens.render.transform import PixelTransform
from voltlens.synth.config import SynthConfig
from voltlens.synth.sample import Sample, generate_sample

CATEGORICAL = ("reversibility", "mechanism", "regime", "trend")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ----------------------------------------------------------------------------------------------
# fixture: a bench of 3 real figures and a run with planted outcomes


def _wilson(k: int, n: int) -> list[float]:
    z = 1.959963984540054
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [c - h, c + h]


def _categorical_field(item: dict) -> str | None:
    props = item["answer_schema"].get("properties", {})
    for f in CATEGORICAL:
        if f in props and "enum" in props[f]:
            return f
    return None


def _wrong(item: dict, k: int) -> tuple[dict | None, str, str, str]:
    """A planted wrong answer: (parsed, raw, status, failure_mode)."""
    truth = json.loads(json.dumps(item["truth"]))
    if (f := _categorical_field(item)) is not None:
        options = [v for v in item["answer_schema"]["properties"][f]["enum"] if v != truth[f]]
        truth[f] = options[k % len(options)]
        return truth, json.dumps(truth), "ok", "wrong_category"
    if item["template"] in ("peaks.potentials", "peaks.currents"):
        for p in truth["peaks"]:
            p["potential"]["value"] += 0.05
        return truth, json.dumps(truth), "ok", "wrong_value"
    if item["template"] == "values.e_half":
        truth["E_half"]["value"] = truth["E_half"]["value"] * 1e3
        return truth, json.dumps(truth), "ok", "unit_scale"
    if k % 2:
        return None, "I'm sorry, I can't read this <figure> & won't guess.", "refusal", "refusal"
    return None, "<script>alert('x')</script> the peak is somewhere", "unparseable", "unparseable"


CONFIG = SynthConfig(
    techniques={"CV": 1.0}, kinds={"single": 0.6, "overlay": 0.4}, degradation_probability=0.3
)


def make_bench(root: Path, samples: list[Sample], *, seed: int = 5) -> Path:
    """A bench directory from rendered samples: their images, labels and every question the templates ask."""
    bench = root / "bench"
    (bench / "images").mkdir(parents=True)
    labels, items = [], []
    for s in samples:
        label = s.label
        sample = f"s{label['id']}"
        image = f"images/{sample}.png"
        (bench / image).write_bytes(s.png)
        labels.append(json.dumps({**label, "id": sample, "image": image}))
        rng = np.random.default_rng(seed)
        for t in TEMPLATES.values():
            qa = t.generate(label, rng)
            if qa is None:
                continue
            items.append(
                {
                    "id": f"ecb1-{sample}-{t.id}",
                    "split": "synthetic",
                    "sample": sample,
                    "images": [image],
                    "question": qa.question,
                    "skill": qa.skill,
                    "template": qa.template,
                    "fields": {},
                    "answer_schema": qa.answer_schema,
                    "truth": qa.answer,
                    "tolerance": qa.tolerance,
                    "meta": {
                        "kind": label["kind"],
                        "technique": label["technique"],
                        "n_curves": len(label["curves"]),
                        "degraded": bool(label["degradation"]),
                        "theme": "t",
                    },
                }
            )
    (bench / "labels.jsonl").write_text("\n".join(labels) + "\n")
    (bench / "items.jsonl").write_text("".join(json.dumps(it) + "\n" for it in items))
    bench_info = {"name": "ECBench", "version": "1", "seed": seed, "n_items": len(items)}
    (bench / "bench.json").write_text(
        json.dumps({**bench_info, "skills": dict(Counter(i["skill"] for i in items))})
    )
    return bench


def make_run(bench: Path, out: Path, *, confidences: bool = False, wrong_every: int = 2) -> Path:
    """Every ``wrong_every``-th item, and every E½ question, is answered wrong."""
    items = [json.loads(x) for x in (bench / "items.jsonl").read_text().splitlines()]
    preds = []
    for k, it in enumerate(items):
        wrong = k % wrong_every == 0 or it["template"] == "values.e_half"
        if wrong:
            parsed, raw, status, mode = _wrong(it, k)
        else:
            parsed, raw, status, mode = it["truth"], json.dumps(it["truth"]), "ok", None
        f = _categorical_field(it)
        cat = (
            {"field": f, "true": it["truth"][f], "pred": None if parsed is None else parsed[f]} if f else None
        )
        preds.append(
            {
                "id": it["id"],
                "skill": it["skill"],
                "template": it["template"],
                "sample": it["sample"],
                "backend": "fake",
                "model": None,
                "raw": raw,
                "status": status,
                "parsed": parsed,
                "truth": it["truth"],
                "tolerance": it["tolerance"],
                "correct": not wrong,
                "score": float(not wrong),
                "failure_mode": mode,
                "confidence": (0.9 if k % 3 else 0.4) if confidences else None,
                "categorical": cat,
                "detail": "" if not wrong else f"planted {mode} on {it['template']} & <b>",
                "latency_s": 0.01,
                "cached": False,
                "evidence": None,
            }
        )
    out.mkdir(parents=True)
    (out / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    skills = {}
    for s in sorted({p["skill"] for p in preds}):
        flags = [p["correct"] for p in preds if p["skill"] == s]
        skills[s] = {
            "accuracy": sum(flags) / len(flags),
            "ci95": _wilson(sum(flags), len(flags)),
            "n": len(flags),
        }
    bench_info = json.loads((bench / "bench.json").read_text())
    summary = {
        "accuracy": sum(p["correct"] for p in preds) / len(preds),
        "n_items": len(preds),
        "skills": skills,
        "failure_modes": dict(Counter(p["failure_mode"] for p in preds if p["failure_mode"])),
        "backend": "fake",
        "model": None,
        "bench": {k: bench_info[k] for k in ("name", "version", "seed", "n_items")},
        "calibration": None,
        "elapsed_s": 1.5,
    }
    (out / "summary.json").write_text(json.dumps(summary))
    (out / "run.json").write_text(
        json.dumps({"bench_dir": str(bench), "backend": "fake", "voltlens_version": "t"})
    )
    return out


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    return [generate_sample(i, seed=5, config=CONFIG) for i in range(3)]


@pytest.fixture(scope="module")
def bench(samples: list[Sample], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bench(tmp_path_factory.mktemp("bench"), samples)


@pytest.fixture(scope="module")
def run_dir(bench: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(bench, tmp_path_factory.mktemp("run") / "run")


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    return write_report(run_dir).read_text(encoding="utf-8")


class _Tree(HTMLParser):
    """Collects start tags with attributes and checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []
        self.text: dict[int, str] = {}
        self._open_td: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "div"):
            self._open_td.append(len(self.tags) - 1)
            self.text[len(self.tags) - 1] = ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag in ("td", "div") and self._open_td:
            self._open_td.pop()

    def handle_data(self, data: str) -> None:
        if self._open_td:
            self.text[self._open_td[-1]] += data


def _parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    return tree


def _predictions(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "predictions.jsonl").read_text().splitlines()]


# ----------------------------------------------------------------------------------------------
# the page


def test_well_formed_and_self_contained(page: str) -> None:
    tree = _parse(page)
    assert tree.errors == [] and tree.stack == []
    assert page.startswith("<!DOCTYPE html>")
    for tag, attrs in tree.tags:
        for name in ("src", "href", "action", "data"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, name, value[:80])
    assert not re.search(r"""url\(\s*['"]?(https?:)?//""", page)
    assert "<script" not in page.lower() and "@import" not in page


def test_every_skill_row_and_headline(page: str, run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    tree = _parse(page)
    rows = {a["data-skill"] for t, a in tree.tags if t == "tr" and "data-skill" in a}
    assert rows == set(summary["skills"])
    head = [(i, a) for i, (t, a) in enumerate(tree.tags) if "headline" in (a.get("class") or "")]
    assert len(head) == 1
    i, attrs = head[0]
    assert float(attrs["data-accuracy"]) == summary["accuracy"]
    assert tree.text[i].strip() == f"{100 * summary['accuracy']:.1f}%"
    assert f"n = {summary['n_items']}" in page


def test_gallery_cards_embed_one_image_each(page: str, run_dir: Path) -> None:
    failures = [p for p in _predictions(run_dir) if not p["correct"]]
    tree = _parse(page)
    cards = [i for i, (t, a) in enumerate(tree.tags) if t == "article" and "card" in (a.get("class") or "")]
    assert len(cards) == min(24, len(failures)) > 0
    for start, stop in itertools.pairwise([*cards, len(tree.tags)]):
        imgs = [a["src"] for t, a in tree.tags[start:stop] if t == "img"]
        assert len(imgs) == 1 and imgs[0].startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(imgs[0].split(",", 1)[1]))) as im:
            assert im.format == "PNG" and im.width > 100
    ids = {a["data-id"] for t, a in tree.tags if t == "article"}
    assert ids <= {p["id"] for p in failures}
    e_half = next(
        a["data-id"] for t, a in tree.tags if t == "article" and a["data-id"].endswith("values.e_half")
    )
    card = page[page.index(f'data-id="{e_half}"') :]
    assert "fall outside the figure" in card[: card.index("</article>")]  # E½ × 10³ is off the plot
    modes_shown = re.findall(r'<h3 id="mode-([a-z_]+)"', page)
    assert set(modes_shown) == {p["failure_mode"] for p in failures}


def test_confusion_counts_equal_recount(page: str, run_dir: Path) -> None:
    recount: Counter = Counter()
    for p in _predictions(run_dir):
        c = p["categorical"]
        if c:
            recount[(c["field"], c["true"], c["pred"] if c["pred"] is not None else "(none)")] += 1
    assert recount, "the fixture must hold categorical items"
    tree = _parse(page)
    field, shown = None, Counter()
    for i, (tag, attrs) in enumerate(tree.tags):
        if tag == "table" and "data-field" in attrs:
            field = attrs["data-field"]
        if tag == "td" and "data-true" in attrs:
            value = int(tree.text[i])
            if value:
                shown[(field, attrs["data-true"], attrs["data-pred"])] = value
    assert shown == recount


def test_text_is_escaped(page: str) -> None:
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&amp; &lt;b&gt;" in page  # the planted detail line "… & <b>"


def test_failure_mode_bars_match_summary(page: str, run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    for mode, count in summary["failure_modes"].items():
        m = re.search(rf'data-mode="{mode}">.*?<span class="cnt">(\d+) ', page)
        assert m and int(m.group(1)) == count


def test_no_confidences_then_reliability_diagram(page: str, bench: Path, tmp_path: Path) -> None:
    assert "No confidences reported" in page
    run = make_run(bench, tmp_path / "conf", confidences=True)
    text = write_report(run, out=tmp_path / "r.html").read_text()
    assert "No confidences reported" not in text and 'alt="reliability diagram"' in text
    preds = _predictions(run)
    conf = np.array([p["confidence"] for p in preds])
    ok = np.array([p["correct"] for p in preds], dtype=float)
    ece = sum(
        abs(ok[conf == c].mean() - c) * (conf == c).mean() for c in np.unique(conf)
    )  # 2 distinct values
    assert f"Expected calibration error {ece:.3f}" in text


def test_without_bench_dir_still_reports(run_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("summary.json", "predictions.jsonl"):
        (bare / name).write_bytes((run_dir / name).read_bytes())
    text = write_report(bare).read_text()
    assert "figure not available" in text and "data:image/png" not in text
    assert _parse(text).errors == []


def test_bad_run_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"summary\.json"):
        write_report(tmp_path)
    (tmp_path / "summary.json").write_text('{"accuracy": 1.0, "n_items": 1, "skills": {}}')
    (tmp_path / "predictions.jsonl").write_text("{not json\n")
    with pytest.raises(DataError, match="line 1"):
        write_report(tmp_path)


# ----------------------------------------------------------------------------------------------
# overlays drawn with the label's transform


def _labels(bench: Path) -> dict[str, dict]:
    return {d["id"]: d for d in map(json.loads, (bench / "labels.jsonl").read_text().splitlines())}


def test_true_peak_markers_sit_on_the_drawn_curve(bench: Path) -> None:
    """The curve of the original figure passes under each true-peak marker, and the marker is drawn there."""
    checked = 0
    for label in _labels(bench).values():
        if label["degradation"] or label["kind"] != "single":
            continue
        peaks = [p for p in label["curves"][0]["peaks"] if p["cycle"] == 1]
        transform = PixelTransform.from_dict(label["transform"])
        with Image.open(bench / label["image"]) as im:
            original = np.asarray(im.convert("RGB")).astype(int)
        background = np.median(original.reshape(-1, 3), axis=0)
        scale = min(1.0, 640 / transform.width)
        marks = [Mark("truth", p["potential_V"], p["baseline_A"] + p["current_A"]) for p in peaks]
        drawn = np.asarray(
            Image.open(io.BytesIO(render_overlay(bench / label["image"], label, marks))).convert("RGB")
        ).astype(int)
        for p in peaks:
            x, y = transform.to_pixel(p["potential_V"], p["baseline_A"] + p["current_A"])
            i, j = math.floor(float(x)), math.floor(float(y))
            win = original[max(j - 2, 0) : j + 3, max(i - 2, 0) : i + 3]
            assert np.abs(win - background).sum(axis=2).max() > 120, "no curve ink under the true peak"
            xs, ys = float(x) * scale, float(y) * scale
            ring = drawn[max(int(ys) - 9, 0) : int(ys) + 10, max(int(xs) - 9, 0) : int(xs) + 10]
            assert (np.abs(ring - np.array(TRUTH_RGB)).sum(axis=2) < 60).any()
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("seed", [3, 8])
def test_true_peak_marks_lie_on_the_measured_curve(seed: int) -> None:
    """Point marks of true peaks (background and drift included) equal the recorded current at the peak."""
    checked = 0
    for index in range(4):
        s = generate_sample(index, seed=seed, config=SynthConfig())
        marks = [
            m for m in overlay_marks({"template": "compare.ranking"}, {}, s.label) if m.current_A is not None
        ]
        for curve, volt in zip(s.label["curves"], s.measured, strict=True):
            e, i = np.asarray(volt.potential), np.asarray(volt.current)
            seg = np.zeros(e.size, int) if volt.segment is None else np.asarray(volt.segment)
            cyc = np.ones(e.size, int) if volt.cycle is None else np.asarray(volt.cycle)
            span = curve["current_range_A"][1] - curve["current_range_A"][0]
            rms = sum(a["params"].get("rms_A", 0.0) for a in curve["artifacts"] if "noise" in a["kind"])
            for p in (p for p in curve["peaks"] if p["cycle"] == 1):
                found = [
                    m for m in marks if m.potential_V == p["potential_V"] and m.direction == p["direction"]
                ]
                if len(curve["species"]) > 1 or "clipping" in {a["kind"] for a in curve["artifacts"]}:
                    continue  # several species: the label's current leaves the others out; clipped: flat top
                assert found
                on = np.flatnonzero((seg == p["segment"]) & (cyc == 1))
                k = on[np.argmin(np.abs(e[on] - p["potential_V"]))]
                measured = float(np.median(i[max(k - 3, 0) : k + 4]))
                assert min(abs(measured - m.current_A) for m in found) <= 0.05 * span + 2 * rms
                checked += 1
    assert checked >= 4


def test_predicted_peaks_drawn_where_predicted(bench: Path) -> None:
    items = [json.loads(x) for x in (bench / "items.jsonl").read_text().splitlines()]
    labels = _labels(bench)
    item = next(it for it in items if it["template"] == "peaks.currents")
    label = labels[item["sample"]]
    parsed = json.loads(json.dumps(item["truth"]))
    for p in parsed["peaks"]:
        p["potential"] = {"value": round(p["potential"]["value"] * 1e3 + 40.0, 3), "unit": "mV"}
    marks = overlay_marks(item, {"parsed": parsed, "template": item["template"]}, label)
    preds = [m for m in marks if m.role == "pred"]
    truths = [m for m in marks if m.role == "truth"]
    assert len(preds) == len(truths) == len(item["truth"]["peaks"])
    for m, t in zip(
        sorted(preds, key=lambda m: m.potential_V), sorted(truths, key=lambda m: m.potential_V), strict=True
    ):
        assert m.potential_V == pytest.approx(t.potential_V + 0.040, abs=2e-3)
        assert m.current_A == pytest.approx(t.current_A, rel=2e-3)  # same current on the same background
    png = render_overlay(bench / label["image"], label, preds)
    drawn = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    transform = PixelTransform.from_dict(label["transform"])
    s = min(1.0, 640 / transform.width)
    x, y = transform.to_pixel(preds[0].potential_V, preds[0].current_A)
    centre = drawn[
        int(float(y) * s) - 1 : int(float(y) * s) + 2, int(float(x) * s) - 1 : int(float(x) * s) + 2
    ]
    assert (np.abs(centre - np.array(PRED_RGB)).sum(axis=2) < 60).any()


def test_thousand_items_render_fast(bench: Path, run_dir: Path) -> None:
    run = load_run(run_dir)
    preds = [
        {**p, "id": f"{p['id']}-{k}"}
        for k in range(1000 // len(run.predictions) + 1)
        for p in run.predictions
    ]
    items = {f"{i}-{k}": it for k in range(1000 // len(run.predictions) + 1) for i, it in run.items.items()}
    big = type(run)(
        run.run_dir,
        {**run.summary, "n_items": len(preds)},
        preds[:1000],
        run.run_info,
        run.bench_dir,
        items,
        run.labels,
    )
    t0 = time.process_time()
    text = render_report(big)
    assert time.process_time() - t0 < 6.0
    assert text.count('<article class="card"') == 24


def test_engine_evidence_drawn_on_the_true_background(samples: list[Sample]) -> None:
    """Engine evidence states background-corrected peak currents (no baseline) per curve and cycle: a peak
    equal to the truth is drawn where the true peak is; later cycles are left out."""
    label = next(s.label for s in samples if len(s.label["curves"][0]["species"]) == 1)
    truth = [m for m in overlay_marks({"template": "peaks.count"}, {}, label) if m.current_A is not None]
    peaks = [p for p in label["curves"][0]["peaks"] if p["cycle"] == 1]
    evidence = {
        "curves": [
            {
                "curve": 0,
                "peaks": [
                    {
                        "direction": p["direction"],
                        "cycle": c,
                        "potential_V": p["potential_V"],
                        "current_A": p["current_A"],
                    }
                    for p in peaks
                    for c in (1, 2)
                ],
            }
        ]
    }
    marks = overlay_marks({"template": "values.delta_ep"}, {"parsed": None, "evidence": evidence}, label)
    drawn = [m for m in marks if m.role == "evidence"]
    assert len(drawn) == len(peaks) == len(truth)
    for m, t in zip(
        sorted(drawn, key=lambda m: m.potential_V), sorted(truth, key=lambda m: m.potential_V), strict=True
    ):
        assert m.current_A == pytest.approx(t.current_A, rel=1e-9, abs=1e-15)
