"""The ask engine's question router on hand-labelled phrasings, and its refusals (no server needed)."""

from __future__ import annotations

import pytest

from voltlens.api.ask import route

LABELLED = [
    ("How many peaks are there?", "peak_count"),
    ("What's the number of peaks in the CV?", "peak_count"),
    ("Where are the peaks?", "peak_potentials"),
    ("At what potential does the oxidation happen?", "peak_potentials"),
    ("What is Epa?", "peak_potentials"),
    ("How large is the peak current?", "peak_currents"),
    ("What is the half-wave potential?", "e_half"),
    ("Give me E1/2", "e_half"),
    ("What is the formal potential of the couple?", "e_half"),
    ("What is ΔEp?", "delta_ep"),
    ("what's the peak-to-peak separation", "delta_ep"),
    ("What is the ipa/ipc ratio?", "current_ratio"),
    ("Is the redox couple reversible?", "reversibility"),
    ("Is it Nernstian?", "reversibility"),
    ("Are there any artifacts in the data?", "anomalies"),
    ("Is this measurement noisy?", "anomalies"),
    ("Can I trust these numbers?", "anomalies"),
    ("Is the process diffusion-controlled or adsorbed?", "scan_rate_dependence"),
    ("How does the current depend on scan rate?", "scan_rate_dependence"),
    ("Is the film stable over the cycles?", "trend"),
    ("What is the trend?", "trend"),
    ("What is the LOD?", "detection_limit"),
    ("What's the limit of detection?", "detection_limit"),
    ("What is the sensitivity of the sensor?", "calibration"),
    ("What is the linear range?", "calibration"),
]


@pytest.mark.parametrize(("question", "intent"), LABELLED)
def test_route_labelled_questions(question, intent):
    assert route(question) == intent


@pytest.mark.parametrize(
    "question", ["What is the weather?", "Who made this?", "Translate this to French", "What's 2+2?", "hello"]
)
def test_route_refuses_unrelated_questions(question):
    assert route(question) is None
