"""The API's language-model fallback for /v1/ask, against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pytest

from voltlens.analyze.pipeline import AnalysisOptions
from voltlens.api import service
from voltlens.api.ask import answer
from voltlens.api.settings import ApiSettings
from voltlens.api.vlm import vlm_answer
from voltlens.simulate import Cell, CVWaveform, Reversible, simulate_cv


@pytest.fixture
def report():
    sp = Reversible(e0_V=0.2, concentration_mol_m3=1.0, diffusion_m2_s=1e-9)
    wave = CVWaveform(start_V=-0.1, vertex_V=0.5, scan_rate_V_s=0.1, step_V=0.002)
    curve = simulate_cv(sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.0))
    assert np.all(np.isfinite(curve.voltammogram.current))
    return service.analysis_report([curve.voltammogram], AnalysisOptions())


def test_unanswerable_question_goes_to_the_model_with_the_report(fake_server, report, monkeypatch):
    fake_server.replies = [(200, "The couple looks like ferrocene.")]
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.url)
    engine = answer(report, "Which molecule is this?")
    assert not engine.answered
    out = vlm_answer(engine, report, ApiSettings(backend="hybrid", openai_model="m"))
    assert out.answered and out.answer == "The couple looks like ferrocene." and out.backend == "openai:m"
    sent = fake_server.requests[0]["body"]
    text = sent["messages"][-1]["content"][-1]["text"]
    assert sent["model"] == "m" and "Which molecule is this?" in text and '"schema_version"' in text
    assert all(part["type"] == "text" for part in sent["messages"][-1]["content"])  # numbers only, no image


def test_failing_model_keeps_the_engine_answer_with_a_note(fake_server, report, monkeypatch):
    fake_server.replies = [(500, "boom")]
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.url)
    engine = answer(report, "What is the half-wave potential?")
    assert engine.answered
    out = vlm_answer(engine, report, ApiSettings(backend="openai"))
    assert out.backend == "engine" and out.answer.startswith(engine.answer) and "failed" in out.answer


def test_without_a_key_the_engine_answer_stands(report, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    engine = answer(report, "What is the half-wave potential?")
    out = vlm_answer(engine, report, ApiSettings(backend="openai"))
    assert out.structured == engine.structured and "OPENAI_API_KEY is not set" in out.answer
