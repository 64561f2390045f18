"""The REST API against a real server process: the analysis contract, ask, compare, series, meta routes,
and the Python client — numbers checked against textbook truths of simulated reversible CVs."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import httpx
import pytest
from apihelpers import AREA, D, cv_arrays, cv_csv, png_bytes, start_server, stop

from voltlens.analyze.contract import AnalysisReport
from voltlens.api.models import AskAnswer, CompareReport
from voltlens.client import ApiError, Client
from voltlens.constants import FARADAY, GAS_CONSTANT, STANDARD_TEMPERATURE

F_RT = FARADAY / (GAS_CONSTANT * STANDARD_TEMPERATURE)
DELTA_EP_REV = 2.218 / F_RT  # reversible one-electron ΔEp ≈ 57 mV


def randles_sevcik(conc_mM: float, v: float) -> float:
    return 0.4463 * FARADAY * AREA * conc_mM * math.sqrt(F_RT * v * D)


def _strict(text: str):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_multipart_analysis_is_the_cli_contract(server, cv_bytes, tmp_path):
    path = tmp_path / "cv.csv"
    path.write_bytes(cv_bytes)
    r = httpx.post(f"{server.url}/v1/analyze", files=[("files", ("cv.csv", cv_bytes))], timeout=30)
    assert r.status_code == 200, r.text
    api = _strict(r.text)
    AnalysisReport.model_validate(api)
    cli = subprocess.run(
        [sys.executable, "-m", "voltlens.cli", "analyze", str(path), "--json"],
        capture_output=True,
        check=True,
    )
    expected = _strict(cli.stdout)
    assert api["curves"][0]["source"] == "cv.csv"
    for report in (api, expected):
        for curve in report["curves"]:
            curve["source"] = "x"
        report["interpretation"] = report["interpretation"].replace(str(path), "cv.csv")
    assert api == expected


@pytest.mark.parametrize("e0", [0.0, 0.15])
def test_json_arrays_give_textbook_couple(server, e0):
    body = {"curves": [cv_arrays(e0=e0)]}
    r = httpx.post(f"{server.url}/v1/analyze", json=body, timeout=30)
    assert r.status_code == 200, r.text
    (couple,) = r.json()["curves"][0]["couples"]
    assert couple["E_half"]["value"] == pytest.approx(e0, abs=0.003)
    assert couple["delta_Ep"]["value"] == pytest.approx(DELTA_EP_REV, abs=0.004)
    assert couple["reversibility"] == "reversible"


def test_units_and_sign_convention_are_converted(server):
    c = cv_arrays(e0=0.1)
    body = {
        "curves": [
            {
                **c,
                "potential": [e * 1e3 for e in c["potential"]],
                "potential_unit": "mV",
                "current": [-i * 1e6 for i in c["current"]],
                "current_unit": "µA",
                "sign_convention": "US",
            }
        ]
    }
    r = httpx.post(f"{server.url}/v1/analyze", json=body, timeout=30)
    assert r.status_code == 200, r.text
    (couple,) = r.json()["curves"][0]["couples"]
    assert couple["E_half"]["value"] == pytest.approx(0.1, abs=0.003)
    anodic = [p for p in r.json()["curves"][0]["peaks"] if p["direction"] == "anodic"]
    assert anodic[0]["current"]["value"] == pytest.approx(randles_sevcik(1.0, 0.1), rel=0.05)


@pytest.mark.parametrize(
    ("question", "intent", "key", "truth", "tol"),
    [
        ("What is the half-wave potential E1/2?", "e_half", "E_half", 0.1, 0.003),
        ("What is the peak separation (ΔEp)?", "delta_ep", "delta_Ep", DELTA_EP_REV, 0.004),
        ("what's the ipa/ipc ratio", "current_ratio", "current_ratio", 1.0, 0.1),
    ],
)
def test_ask_couple_questions(server, cv_bytes, question, intent, key, truth, tol):
    r = httpx.post(
        f"{server.url}/v1/ask",
        files=[("files", ("cv.csv", cv_bytes))],
        data={"question": question},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    a = AskAnswer.model_validate(r.json())
    assert a.answered and a.intent == intent and a.backend == "engine"
    assert a.structured["couples"][0][key]["value"] == pytest.approx(truth, abs=tol)
    assert a.evidence and a.evidence[0].path == f"curves[0].couples[0].{key}"
    assert a.evidence[0].value == pytest.approx(truth, abs=tol)
    assert 0.5 < a.confidence <= 1.0


def test_ask_peak_count_and_reversibility(server):
    curves = [cv_arrays(e0=0.1)]
    r = httpx.post(f"{server.url}/v1/ask", json={"curves": curves, "question": "How many peaks are there?"})
    a = r.json()
    assert a["answered"] and a["structured"]["curves"][0]["anodic"] == 1
    assert a["structured"]["curves"][0]["cathodic"] == 1
    r = httpx.post(f"{server.url}/v1/ask", json={"curves": curves, "question": "Is the couple reversible?"})
    assert r.json()["structured"]["couples"][0]["reversibility"] == "reversible"


@pytest.mark.parametrize("question", ["What colour is the electrode?", "Who ran this experiment?"])
def test_ask_outside_the_engine_cannot_answer(server, cv_bytes, question):
    r = httpx.post(
        f"{server.url}/v1/ask",
        files=[("files", ("cv.csv", cv_bytes))],
        data={"question": question},
        timeout=30,
    )
    assert r.status_code == 200
    a = r.json()
    assert a["answered"] is False and a["confidence"] == 0 and "cannot answer" in a["answer"].lower()


def test_ask_lod_without_calibration_says_what_is_needed(server, cv_bytes):
    r = httpx.post(
        f"{server.url}/v1/ask",
        files=[("files", ("cv.csv", cv_bytes))],
        data={"question": "What is the detection limit?"},
        timeout=30,
    )
    a = r.json()
    assert a["answered"] is False and a["intent"] == "detection_limit" and "concentration" in a["answer"]


def test_compare_peak_shift(server):
    body = {"curves": [cv_arrays(e0=0.1), cv_arrays(e0=0.15, conc=2.0)], "reference": 0}
    r = httpx.post(f"{server.url}/v1/compare", json=body, timeout=30)
    assert r.status_code == 200, r.text
    rep = CompareReport.model_validate(r.json())
    row = rep.rows[1]
    assert row.peak_shift_vs_reference.value == pytest.approx(0.05, abs=0.004)
    assert row.current_ratio_vs_reference.value == pytest.approx(2.0, rel=0.05)  # ip ∝ C
    assert "+5" in rep.summary


def test_series_scan_rate_is_diffusion_controlled(server):
    rates = [0.02, 0.05, 0.1, 0.2, 0.5]
    files = [("files", (f"cv_{v}.csv", cv_csv(v=v))) for v in rates]
    r = httpx.post(
        f"{server.url}/v1/series",
        files=files,
        data={"kind": "scan_rate", "scan_rates": ",".join(map(str, rates))},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    s = r.json()["series"]
    assert s["kind"] == "scan_rate" and s["regime"] == "diffusion"
    assert s["log_log_slope"]["value"] == pytest.approx(0.5, abs=0.03)  # Randles–Ševčík: ip ∝ v^½


def test_series_calibration_and_lod_answer(server):
    concs = [0.25, 0.5, 1.0, 2.0, 4.0]
    curves = [{**cv_arrays(conc=c, noise=2e-8, seed=k), "source": f"c{c}"} for k, c in enumerate(concs)]
    r = httpx.post(
        f"{server.url}/v1/series",
        json={"curves": curves, "kind": "concentration", "concentrations": concs},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    s = r.json()["series"]
    assert s["slope"]["value"] == pytest.approx(randles_sevcik(1.0, 0.1), rel=0.08)
    r = httpx.post(
        f"{server.url}/v1/ask",
        json={"curves": curves, "concentrations": concs, "question": "What is the LOD?"},
        timeout=60,
    )
    a = r.json()
    assert a["answered"] and a["intent"] == "detection_limit"
    assert 0 < a["structured"]["lod"]["value"] < concs[-1]


def test_series_without_a_series_is_422(server):
    r = httpx.post(f"{server.url}/v1/series", json={"curves": [cv_arrays()], "kind": "scan_rate"})
    assert r.status_code == 422 and "two curves" in r.json()["error"]["message"]


def test_image_without_digitizer_is_a_clear_422(server):
    r = httpx.post(f"{server.url}/v1/analyze", files=[("files", ("plot.png", png_bytes()))])
    assert r.status_code == 422
    assert r.json()["error"]["code"] in ("image_analysis_unavailable", "digitize_error")


def test_health_schema_and_openapi(server):
    h = httpx.get(f"{server.url}/v1/health").json()
    assert h["status"] == "ok" and h["backend"] == "engine"
    assert httpx.get(f"{server.url}/v1/schema/analysis").json()["$id"].endswith("/analysis/1.json")
    r = httpx.get(f"{server.url}/v1/schema/nope")
    assert r.status_code == 404 and "analysis" in r.json()["error"]["message"]
    spec = httpx.get(f"{server.url}/openapi.json").json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"analyze", "ask", "compare", "series", "health", "get_schema"} <= ops
    body = spec["paths"]["/v1/analyze"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
    assert "AnalyzeRequest" in spec["components"]["schemas"]


def test_no_cors_headers_by_default(server):
    r = httpx.options(
        f"{server.url}/v1/analyze",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers


def test_api_key_is_required_when_set():
    srv = start_server({"VOLTLENS_API_API_KEY": "s3cret"})
    try:
        assert httpx.get(f"{srv.url}/v1/health").status_code == 200
        r = httpx.post(f"{srv.url}/v1/analyze", json={"curves": [cv_arrays()]})
        assert r.status_code == 401 and "X-API-Key" in r.json()["error"]["message"]
        r = httpx.post(
            f"{srv.url}/v1/analyze", json={"curves": [cv_arrays()]}, headers={"X-API-Key": "wrong"}
        )
        assert r.status_code == 401
        with Client(srv.url, api_key="s3cret") as c:
            assert c.analyze(curves=[cv_arrays()]).curves[0].couples
    finally:
        stop(srv.process)


def test_python_client_round_trip(server, cv_bytes, tmp_path):
    path = tmp_path / "cv.csv"
    path.write_bytes(cv_bytes)
    with Client(server.url) as c:
        assert c.health().status == "ok"
        report = c.analyze(files=[path])
        assert report.curves[0].couples[0].E_half.value == pytest.approx(0.1, abs=0.003)
        a = c.ask("What is E½?", curves=[cv_arrays(e0=0.05)])
        assert a.answered and a.structured["couples"][0]["E_half"]["value"] == pytest.approx(0.05, abs=0.003)
        cmp = c.compare(files=[("a.csv", cv_bytes), ("b.csv", cv_csv(e0=0.05))])
        assert cmp.rows[1].peak_shift_vs_reference.value == pytest.approx(-0.05, abs=0.004)
        rates = [0.05, 0.1, 0.2, 0.4]
        s = c.series("scan_rate", files=[(f"{v}.csv", cv_csv(v=v)) for v in rates], scan_rates=rates)
        assert s.series.regime == "diffusion"
        with pytest.raises(ApiError) as err:
            c.analyze(files=[("bad.csv", b"not,a\nvoltammogram,x\n")])
        assert 400 <= err.value.status < 500 and "bad.csv" in err.value.message
