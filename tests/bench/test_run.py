"""``voltlens bench run`` end to end with scripted fake backends, the openai backend against a local
stub server, the replay backend, worker processes and the response cache."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from voltlens.bench.backends import BackendAnswer, OpenAIBackend, ReplayBackend, get_backend, register_backend
from voltlens.bench.build import read_items
from voltlens.bench.run import cache_path, run_bench
from voltlens.cli.main import main
from voltlens.errors import ParameterError


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _scaled(q: dict) -> dict:
    """The same quantity in mV or µA (a correct answer in another unit)."""
    if isinstance(q, dict) and q.get("unit") in ("V", "A") and isinstance(q.get("value"), int | float):
        return {
            "value": q["value"] * 1e3 if q["unit"] == "V" else q["value"] * 1e6,
            "unit": "m" + q["unit"] if q["unit"] == "V" else "µA",
        }
    if isinstance(q, dict):
        return {k: _scaled(v) for k, v in q.items()}
    if isinstance(q, list):
        return [_scaled(v) for v in q]
    return q


_ITEMS: dict[tuple[str, str], dict] = {}


def _full(item: dict, bench_dir: Path) -> dict:
    """The whole bench item behind the reader's view a backend gets (an oracle for these fakes:
    the runner hands backends no truth)."""
    key = (str(Path(bench_dir).resolve()), item["id"])
    if key not in _ITEMS:
        _ITEMS.update({(key[0], it["id"]): it for it in read_items(Path(bench_dir))})
    return _ITEMS[key]


@register_backend("test-perfect")
class PerfectBackend:
    """Answers the truth: as JSON in SI units for even items, in mV/µA for odd ones."""

    name = "test-perfect"
    model = None
    parallel = "process"
    cacheable = False

    def answer(self, item: dict, bench_dir: Path) -> BackendAnswer:
        truth = _full(item, bench_dir)["truth"]
        odd = int(item["id"].encode().hex(), 16) % 2
        return BackendAnswer(json.dumps(_scaled(truth) if odd else truth), confidence=0.9)


def _far(truth: dict, tol: dict) -> bool:
    """Whether a scale or sign error is tellable from the truth (not within tolerance of zero)."""
    v = truth["value"]
    return abs(v) > tol["abs"] if "abs" in tol else v != 0


def scripted_fault(item: dict) -> tuple[str | Exception, str]:
    """A deliberately wrong answer to ``item`` and the failure mode it must be scored with."""
    truth, tol = item["truth"], item["tolerance"]
    if item["template"] == "interpretation.report":
        return RuntimeError("the model crashed"), "backend_error"
    if truth.get("peaks"):
        peaks = [dict(p) for p in truth["peaks"]]
        if len(peaks) >= 2:
            return json.dumps({"peaks": peaks[:-1]}), "missed_peak"
        extra = {**peaks[0], "potential": {"value": peaks[0]["potential"]["value"] + 3.0, "unit": "V"}}
        return json.dumps({"peaks": [*peaks, extra]}), "spurious_peak"
    if "n_peaks" in truth and "anodic" in truth:
        return json.dumps(
            {**truth, "n_peaks": truth["n_peaks"] + 1, "anodic": truth["anodic"] + 1}
        ), "spurious_peak"
    if truth.get("couples"):
        couples = [
            {**c, "E_half": {"value": c["E_half"]["value"] * 1e3, "unit": "V"}} for c in truth["couples"]
        ]
        return json.dumps({"couples": couples}), "unit_scale"
    if "ranking" in truth:
        return json.dumps({"ranking": truth["ranking"][::-1]}), "sign_or_direction"
    wrong_curve = [a for a in item.get("alternatives", []) if a["failure_mode"] == "wrong_curve"]
    if "curve" in truth and wrong_curve:
        return json.dumps(wrong_curve[0]["answer"]), "wrong_curve"
    scored = [k for k in tol if k != "match"]
    if len(scored) == 1 and isinstance(truth.get(scored[0]), dict) and "value" in truth[scored[0]]:
        name, q = scored[0], truth[scored[0]]
        if q["value"] is not None:  # prose in the truth's unit: ×1000, or far off where a scale cannot show
            unit = q["unit"] if q["unit"] != "1" else ""
            if _far(q, tol[name]):
                return f"{name} = {q['value'] * 1e3:g} {unit}", "unit_scale"
            off = q["value"] + 10 * tol[name]["abs"] if "abs" in tol[name] else 3 * q["value"]
            return f"{name} = {off:g} {unit}", "wrong_value"
    if any(tol.get(k) == {"match": "exact"} for k in truth) and item["template"] != "peaks.count":
        return "Hmm, hard to say from here.", "unparseable"
    return "I'm sorry, I can't answer that.", "refusal"


@register_backend("test-scripted")
class ScriptedBackend:
    name = "test-scripted"
    model = "script-v1"
    parallel = "serial"
    cacheable = False

    def answer(self, item: dict, bench_dir: Path) -> BackendAnswer:
        raw, _ = scripted_fault(_full(item, bench_dir))
        if isinstance(raw, Exception):
            raise raw
        return BackendAnswer(raw)


def test_perfect_backend_scores_one_through_the_cli(small_bench, tmp_path):
    out = tmp_path / "perfect"
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "run", str(small_bench), "--backend", "test-perfect", "--out", str(out)])
    assert exit_.value.code == 0
    summary = json.loads((out / "summary.json").read_text())
    preds = _read(out / "predictions.jsonl")
    assert [p["id"] for p in preds] == [it["id"] for it in read_items(small_bench)]
    assert summary["accuracy"] == 1.0 and summary["n_items"] == len(preds) == 15, [
        p["detail"] for p in preds if not p["correct"]
    ]
    assert summary["failure_modes"] == {}
    assert all(s["accuracy"] == 1.0 and s["ci95"][1] == 1.0 for s in summary["skills"].values())
    assert summary["calibration"]["ece"] == pytest.approx(0.1)
    run = json.loads((out / "run.json").read_text())
    assert run["options"]["backend"] == "test-perfect" and Path(run["bench_dir"]) == small_bench.resolve()
    assert summary["bench"]["name"] == "ECBench"


def test_scripted_wrong_answers_get_exactly_the_right_failure_modes(small_bench, tmp_path):
    out = tmp_path / "scripted"
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "run", str(small_bench), "--backend", "test-scripted", "--out", str(out)])
    assert exit_.value.code == 0
    items = {it["id"]: it for it in read_items(small_bench)}
    preds = _read(out / "predictions.jsonl")
    expected = {p["id"]: scripted_fault(items[p["id"]])[1] for p in preds}
    got = {p["id"]: p["failure_mode"] for p in preds}
    assert got == expected
    assert not any(p["correct"] for p in preds)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["accuracy"] == 0.0
    counts: dict[str, int] = {}
    for mode in expected.values():
        counts[mode] = counts.get(mode, 0) + 1
    assert summary["failure_modes"] == counts
    assert len(counts) >= 6  # the small bench exercises most of the taxonomy
    errors = [p for p in preds if p["failure_mode"] == "backend_error"]
    assert all(p["status"] == "error" and "crashed" in p["detail"] for p in errors)


def test_worker_processes_group_figures_and_match_serial(small_bench, tmp_path):
    serial = run_bench(small_bench, PerfectBackend(), out=tmp_path / "s", workers=1)
    parallel = run_bench(small_bench, PerfectBackend(), out=tmp_path / "p", workers=2, limit=9)
    assert serial["accuracy"] == parallel["accuracy"] == 1.0 and parallel["n_items"] == 9
    a = [
        {k: v for k, v in p.items() if k != "latency_s"} for p in _read(tmp_path / "s" / "predictions.jsonl")
    ][:9]
    b = [
        {k: v for k, v in p.items() if k != "latency_s"} for p in _read(tmp_path / "p" / "predictions.jsonl")
    ]
    assert a == b


def test_ids_choose_items_and_figures_in_bench_order(small_bench, tmp_path):
    items = read_items(small_bench)
    one, figure = items[3]["id"], items[0]["sample"]
    on_figure = [it["id"] for it in items if it["sample"] == figure]
    s = run_bench(small_bench, PerfectBackend(), out=tmp_path / "i", ids=[one, f" {figure}"])
    got = [p["id"] for p in _read(tmp_path / "i" / "predictions.jsonl")]
    assert got == [it["id"] for it in items if it["id"] in {one, *on_figure}]
    assert s["n_items"] == len(got) == len({one, *on_figure}) and s["accuracy"] == 1.0


def test_ids_naming_nothing_are_an_error(small_bench, tmp_path):
    with pytest.raises(ParameterError, match=r"--ids.*no-such-item"):
        run_bench(small_bench, PerfectBackend(), out=tmp_path / "x", ids=["no-such-item"])


@pytest.mark.parametrize("ids", [[""], [" ", "  "]])
def test_blank_ids_are_an_error_not_an_empty_run(small_bench, tmp_path, ids):
    with pytest.raises(ParameterError, match=r"--ids.*one or more item"):
        run_bench(small_bench, PerfectBackend(), out=tmp_path / "x", ids=ids)


class CountingBackend:
    name = "test-counting"
    model = "m/1"
    parallel = "serial"
    cacheable = True

    def __init__(self) -> None:
        self.calls = 0

    def answer(self, item: dict, bench_dir: Path) -> BackendAnswer:
        self.calls += 1
        return BackendAnswer(json.dumps(_full(item, bench_dir)["truth"]))


def test_cache_makes_reruns_free(small_bench, tmp_path):
    b = CountingBackend()
    run_bench(small_bench, b, out=tmp_path / "r1", limit=4)
    assert b.calls == 4
    items = read_items(small_bench)[:4]
    assert all(cache_path(small_bench, b, it).is_file() for it in items)
    assert cache_path(small_bench, b, items[0]).parent.name == "m_1"
    s = run_bench(small_bench, b, out=tmp_path / "r2", limit=4)
    assert b.calls == 4 and s["n_cached"] == 4 and s["accuracy"] == 1.0
    run_bench(small_bench, b, out=tmp_path / "r3", limit=4, use_cache=False)
    assert b.calls == 8


@pytest.fixture
def stub_server(small_bench, fake_server):
    """The shared OpenAI-compatible fake server, answering each bench question with its truth."""
    truths = {}
    for it in read_items(small_bench):
        image = base64.b64encode((small_bench / it["images"][0]).read_bytes()).decode()
        truths[(image, it["question"])] = it["truth"]
    state = {"status": 200, "url": fake_server.url, "requests": []}

    def respond(body):
        state["requests"].append(body)
        content = body["messages"][-1]["content"]
        image = content[0]["image_url"]["url"].split("base64,", 1)[1]
        question = content[1]["text"].split("\n", 1)[0]
        return state["status"], json.dumps(truths.get((image, question)))

    fake_server.responder = respond
    return state


def test_openai_backend_against_a_local_stub(small_bench, stub_server, tmp_path):
    backend = get_backend(
        "openai", base_url=stub_server["url"], model="stub", retries=0, predictions="ignored"
    )
    assert isinstance(backend, OpenAIBackend)
    s = run_bench(small_bench, backend, out=tmp_path / "o", concurrency=3, limit=6)
    assert s["accuracy"] == 1.0 and len(stub_server["requests"]) == 6
    body = stub_server["requests"][0]
    assert body["model"] == "stub" and body["response_format"]["type"] == "json_schema"
    assert body["messages"][-1]["content"][0]["image_url"]["url"].startswith("data:image/png;base64,")
    run_bench(small_bench, backend, out=tmp_path / "o2", limit=6)
    assert len(stub_server["requests"]) == 6  # cached
    stub_server["status"] = 404
    down = OpenAIBackend(base_url=stub_server["url"], model="other", retries=0)
    s = run_bench(small_bench, down, out=tmp_path / "o3", limit=3)
    assert s["failure_modes"] == {"backend_error": 3} and s["status"] == {"error": 3}


def test_replay_formats(small_bench, tmp_path):
    items = read_items(small_bench)
    # swift infer output: messages + images + response, no id, in another order
    swift = tmp_path / "swift.jsonl"
    rows = [
        {
            "messages": [{"role": "user", "content": "<image>" + it["question"]}],
            "images": [{"path": str(small_bench / it["images"][0]), "bytes": None}],
            "response": json.dumps(it["truth"]),
        }
        for it in reversed(items)
    ]
    swift.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run_bench(small_bench, ReplayBackend(predictions=swift), out=tmp_path / "a")["accuracy"] == 1.0
    # by id, with a confidence; items without a line are backend errors
    by_id = tmp_path / "ids.jsonl"
    by_id.write_text(
        "".join(
            json.dumps({"id": it["id"], "answer": it["truth"], "confidence": 0.5}) + "\n" for it in items[:10]
        )
    )
    s = run_bench(small_bench, ReplayBackend(predictions=by_id), out=tmp_path / "b")
    assert s["n_correct"] == 10 and s["failure_modes"] == {"backend_error": len(items) - 10}
    assert s["calibration"]["n"] == 10
    # plain answers in bench order
    order = tmp_path / "order.jsonl"
    order.write_text("".join(json.dumps({"text": json.dumps(it["truth"])}) + "\n" for it in items))
    assert (
        run_bench(small_bench, ReplayBackend(predictions=order), out=tmp_path / "c", limit=5)["accuracy"]
        == 1.0
    )


def test_transformers_backend_adapter(small_bench, tmp_path, monkeypatch):
    """The adapter hands the item's image and the schema-bearing prompt to TransformersVLM (faked here)."""
    import voltlens.vlm.transformers_backend as tb

    seen = []

    class FakeVLM:
        def __init__(self, model_path, device="cpu", max_new_tokens=2048):
            seen.append(("init", model_path, device))

        def chat(self, image, question, *, system_prompt=None):
            seen.append(("chat", Path(image), question, system_prompt))
            item = next(it for it in read_items(small_bench) if it["question"] == question.split("\n", 1)[0])
            return json.dumps(item["truth"])

    monkeypatch.setattr(tb, "TransformersVLM", FakeVLM)
    backend = get_backend("transformers", model="ckpt", device="cpu")
    s = run_bench(small_bench, backend, out=tmp_path / "t", limit=3, use_cache=False)
    assert s["accuracy"] == 1.0
    assert [x[0] for x in seen] == ["init", "chat", "chat", "chat"]  # loaded once
    first = read_items(small_bench)[0]
    assert seen[1][1] == small_bench / first["images"][0] and "JSON" in seen[1][2] and seen[1][3]


class PeekingBackend:
    """Records what it is given and answers nothing useful."""

    name = "test-peeking"
    model = None
    parallel = "serial"
    cacheable = False

    def __init__(self) -> None:
        self.seen: list[dict] = []

    def answer(self, item: dict, bench_dir: Path) -> BackendAnswer:
        self.seen.append(dict(item))
        return BackendAnswer("{}")


def test_backends_get_only_the_readers_view(small_bench, tmp_path):
    """No truth, alternatives or meta (the true legend texts) reaches a backend."""
    from voltlens.bench.run import BACKEND_FIELDS

    b = PeekingBackend()
    run_bench(small_bench, b, out=tmp_path / "v", limit=6)
    assert len(b.seen) == 6
    for got, full in zip(b.seen, read_items(small_bench)[:6], strict=True):
        assert set(got) <= set(BACKEND_FIELDS) and {"id", "images", "question", "answer_schema"} <= set(got)
        assert not {"truth", "alternatives", "meta", "tolerance"} & set(got)
        assert all(got[k] == full[k] for k in got)


class StallingBackend:
    """Answers the first item only after ``stall_s`` of pure-Python work (a pathological figure)."""

    name = "test-stalling"
    model = None
    parallel = "process"
    cacheable = False

    def __init__(self, stall_s: float) -> None:
        self.stall_s = stall_s

    def answer(self, item: dict, bench_dir: Path) -> BackendAnswer:
        import time

        if item["id"].endswith("-q0"):
            t0 = time.perf_counter()
            try:
                while time.perf_counter() - t0 < self.stall_s:
                    pass
            except Exception:  # a backend's own catch-all must not swallow the time limit
                return BackendAnswer("{}")
        return BackendAnswer(json.dumps(_full(item, bench_dir)["truth"]))


@pytest.mark.parametrize("workers", [1, 2])
def test_item_timeout_is_a_counted_backend_error(small_bench, tmp_path, workers):
    import time

    t0 = time.perf_counter()
    s = run_bench(
        small_bench, StallingBackend(30.0), out=tmp_path / "t", workers=workers, limit=6, item_timeout=0.3
    )
    assert time.perf_counter() - t0 < 20.0  # the stalled item did not hold up the run
    preds = _read(tmp_path / "t" / "predictions.jsonl")
    stalled = [p for p in preds if p["id"].endswith("-q0")]
    assert stalled and all(
        p["failure_mode"] == "backend_error" and "ItemTimeout" in p["detail"] for p in stalled
    )
    assert all(p["correct"] for p in preds if not p["id"].endswith("-q0"))
    assert s["failure_modes"] == {"backend_error": len(stalled)}


def test_item_timeout_must_be_a_duration(small_bench, tmp_path):
    from voltlens.errors import ParameterError

    with pytest.raises(ParameterError, match="item-timeout"):
        run_bench(small_bench, PeekingBackend(), out=tmp_path / "x", item_timeout=-1.0)
