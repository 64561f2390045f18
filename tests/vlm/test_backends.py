"""The openai backend against a scripted local server, and the hybrid merge."""

from __future__ import annotations

import base64
import json

import pytest

from voltlens.errors import DataError, ParameterError
from voltlens.vlm import analyze_image_with_backend
from voltlens.vlm.hybrid import DISAGREEMENT_FACTOR, merge_reports
from voltlens.vlm.openai_backend import OpenAIClient

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
    b"\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _q(v, unit):
    return {"value": v, "unit": unit, "uncertainty": None}


def _report(peaks, couples=(), anomalies=()):
    return {
        "schema_version": "1",
        "curves": [
            {
                "source": "fig",
                "technique": "CV",
                "scan_rate": None,
                "peaks": [
                    {
                        "direction": d,
                        "cycle": 1,
                        "potential": _q(e, "V"),
                        "current": _q(i, "A"),
                        "confidence": 0.9,
                    }
                    for d, e, i in peaks
                ],
                "couples": list(couples),
                "anomalies": list(anomalies),
            }
        ],
        "series": None,
        "interpretation": "a reversible couple",
    }


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "fig.png"
    path.write_bytes(PNG)
    return path


def test_openai_backend_returns_the_validated_report(fake_server, image):
    report = _report([("anodic", 0.25, 1e-5), ("cathodic", 0.19, -1e-5)])
    fake_server.replies = [(200, json.dumps(report))]
    out = analyze_image_with_backend(image, backend="openai", base_url=fake_server.url, model="tiny")
    assert out["vlm"]["status"] == "ok"
    assert [p["potential"]["value"] for p in out["curves"][0]["peaks"]] == [0.25, 0.19]
    (req,) = fake_server.requests
    assert req["path"] == "/v1/chat/completions"
    body = req["body"]
    assert body["model"] == "tiny"
    assert body["response_format"]["type"] == "json_schema"
    url = body["messages"][-1]["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,") and base64.b64decode(url.split(",", 1)[1]) == PNG


def test_unparseable_answer_is_a_counted_result_not_a_crash(fake_server, image):
    fake_server.replies = [(200, "lorem ipsum peaks everywhere")]
    out = analyze_image_with_backend(image, backend="openai", base_url=fake_server.url, model="tiny")
    assert out["vlm"]["status"] == "unparseable"
    assert out["curves"] == [] and "unparseable" in out["skipped"][0]["reason"]
    from voltlens.analyze.contract import AnalysisReport

    AnalysisReport.model_validate(out)


def test_server_without_structured_output_is_asked_again_plainly(fake_server, image):
    fake_server.replies = [(400, "response_format not supported"), (200, json.dumps(_report([])))]
    out = analyze_image_with_backend(image, backend="openai", base_url=fake_server.url, model="tiny")
    assert out["vlm"]["status"] == "ok"
    first, second = fake_server.requests
    assert "response_format" in first["body"] and "response_format" not in second["body"]


def test_transient_errors_are_retried_then_reported(fake_server, image):
    fake_server.replies = [(503, "busy"), (200, "{}")]
    client = OpenAIClient(fake_server.url, "tiny", retries=2, backoff_s=0.01)
    assert client.chat(image, "q") == "{}"
    fake_server.replies = [(503, "busy")]
    client = OpenAIClient(fake_server.url, "tiny", retries=1, backoff_s=0.01)
    with pytest.raises(DataError, match="503"):
        client.chat(image, "q")
    out = analyze_image_with_backend(
        image, backend="openai", base_url=fake_server.url, model="tiny", retries=0
    )
    assert out["vlm"]["status"] == "error"


def test_bounded_concurrency_answers_every_request(fake_server, image):
    fake_server.replies = [(200, "ok")]
    answers = OpenAIClient(fake_server.url, "tiny").ask_many(
        [(image, f"q{k}", None) for k in range(9)], concurrency=3
    )
    assert answers == ["ok"] * 9 and len(fake_server.requests) == 9


def test_bad_arguments_raise(image):
    with pytest.raises(ParameterError):
        analyze_image_with_backend(image, backend="gpt", model="x")
    with pytest.raises(ParameterError):
        analyze_image_with_backend(image, backend="openai", base_url=None, model="x")
    with pytest.raises(DataError):
        analyze_image_with_backend(
            image.with_name("missing.png"), backend="openai", base_url="http://127.0.0.1:9", model="x"
        )


def test_hybrid_lowers_confidence_where_the_readers_disagree():
    engine = _report([("anodic", 0.250, 1e-5), ("cathodic", 0.190, -1e-5)])
    vlm = _report([("anodic", 0.255, 1.05e-5), ("cathodic", 0.100, -1e-5)])
    merged = merge_reports(engine, vlm)
    a, c = merged["curves"][0]["peaks"]
    assert a["confidence"] == 0.9
    assert c["confidence"] == pytest.approx(0.9 * DISAGREEMENT_FACTOR)
    assert len(merged["disagreements"]) == 1 and "90 mV" in merged["disagreements"][0]
    assert engine["curves"][0]["peaks"][1]["confidence"] == 0.9  # inputs untouched
    only_vlm = merge_reports(None, vlm)
    assert only_vlm["curves"] == vlm["curves"] and only_vlm["notes"]
