"""Tolerant answer parsing: JSON, coerced JSON and free text guided by the answer schema."""

from __future__ import annotations

import pytest

from voltlens.bench.answers import convert, find_quantities, parse_free_text, parse_response, unit_factor
from voltlens.dataset.templates import TEMPLATES


def schema(template: str) -> dict:
    return TEMPLATES[template].answer_schema


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("0.45 V", 0.45, "V"),
        ("450 mV", 450.0, "mV"),
        ("-1.2e-5 A", -1.2e-5, "A"),
        ("12 µA", 12.0, "µA"),
        ("12 μA", 12.0, "µA"),
        ("12 uA", 12.0, "uA"),
        ("3.5 nA", 3.5, "nA"),
        ("−0.120 V", -0.12, "V"),
        ("3 × 10^-6 A", 3e-6, "A"),
        ("2.1 µA per mM", 2.1, "µA/mM"),
    ],
)
def test_numbers_with_units(text, value, unit):
    ((_, v, u),) = find_quantities(text)
    assert v == pytest.approx(value) and u == unit


@pytest.mark.parametrize(
    ("a", "b", "factor"),
    [
        ("mV", "V", 1e-3),
        ("V", "mV", 1e3),
        ("µA", "A", 1e-6),
        ("uA", "nA", 1e3),
        ("µA/mM", "A/mM", 1e-6),
        ("mol/m3", "mM", 1.0),
    ],
)
def test_unit_conversion_against_si_prefixes(a, b, factor):
    assert convert(1.0, a, b) == pytest.approx(factor)
    assert convert(1.0, "", b) == 1.0  # no unit: already in the asked unit
    assert convert(1.0, "V", "A") is None
    assert unit_factor("furlong") is None


@pytest.mark.parametrize(
    ("template", "text", "expected"),
    [
        ("values.e_half", "The half-wave potential is 450 mV.", {"E_half": (450.0, "mV")}),
        ("values.e_half", "E½ = (0.512 V + 0.448 V)/2 ≈ 0.480 V.", {"E_half": (0.48, "V")}),
        ("values.e_half", "E1/2 is about -0.2 V (vs Ag/AgCl)", {"E_half": (-0.2, "V")}),
        ("values.delta_ep", "ΔEp = 64 mV (Nernstian limit ≈ 59 mV).", {"delta_Ep": (64.0, "mV")}),
        ("values.current_ratio", "|ipa/ipc| = 0.95, close to one", {"current_ratio": (0.95, "")}),
        ("concentration.unknown", "That peak corresponds to c ≈ 1.5 mM.", {"concentration": (1.5, "mM")}),
        (
            "reversibility.class",
            "The couple is quasi-reversible (ΔEp 120 mV).",
            {"reversibility": "quasi-reversible"},
        ),
        ("reversibility.class", "Irreversible: no return peak.", {"reversibility": "irreversible"}),
        ("reversibility.class", "It looks reversible to me.", {"reversibility": "reversible"}),
        ("mechanism.identify", "An EC mechanism: the return peak is smaller.", {"mechanism": "EC"}),
        ("scan_rate.regime", "Surface-confined: ip grows linearly with v.", {"regime": "adsorption"}),
        ("scan_rate.regime", "It is diffusion controlled, slope 0.5.", {"regime": "diffusion"}),
        ("concentration.trend", "The current increases with concentration", {"trend": "increases"}),
        ("anomaly.trust", "Yes, the data can be trusted.", {"trustworthy": True}),
        ("anomaly.trust", "No — the drift is too strong.", {"trustworthy": False}),
        ("anomaly.trust", "false", {"trustworthy": False}),
        (
            "anomaly.kinds",
            "I see noise, a sloping background and reference drift.",
            {"anomalies": ["background", "noise", "reference_drift"]},
        ),
        ("anomaly.kinds", "None: the curve is clean.", {"anomalies": []}),
        (
            "peaks.count",
            "There are two peaks, one anodic and one cathodic.",
            {"n_peaks": 2, "anodic": 1, "cathodic": 1},
        ),
        (
            "peaks.count",
            "I count 3 peaks: 2 oxidation and 1 reduction.",
            {"n_peaks": 3, "anodic": 2, "cathodic": 1},
        ),
        ("peaks.count", "A single oxidation peak.", {"n_peaks": 1, "anodic": 1, "cathodic": 0}),
    ],
)
def test_free_text(template, text, expected):
    parsed = parse_response(text, schema(template))
    assert parsed.status == "ok", parsed.problems
    assert parsed.extra["source"] == "free_text"
    for key, want in expected.items():
        got = parsed.value[key]
        if isinstance(want, tuple):
            assert (got["value"], got["unit"]) == (pytest.approx(want[0]), want[1])
        else:
            assert got == want


def test_free_text_peak_lists():
    text = "Two peaks: an oxidation peak at 0.45 V with 12 µA, and a reduction peak at 380 mV (-1.1e-5 A)."
    parsed = parse_response(text, schema("peaks.currents"))
    assert parsed.status == "ok"
    peaks = parsed.value["peaks"]
    assert [p["direction"] for p in peaks] == ["anodic", "cathodic"]
    assert [(p["potential"]["value"], p["potential"]["unit"]) for p in peaks] == [(0.45, "V"), (380.0, "mV")]
    assert [(p["current"]["value"], p["current"]["unit"]) for p in peaks] == [(12.0, "µA"), (-1.1e-5, "A")]


def test_choices_for_curve_names_and_rankings():
    legends = ["1 mM", "11 mM", "0.5 mM"]
    p = parse_response(
        "The 11 mM trace has the largest peak, 3 µA.", schema("compare.larger_peak"), choices=legends
    )
    assert p.value["curve"] == "11 mM" and p.value["current"]["unit"] == "µA"
    p = parse_response("11 mM > 1 mM > 0.5 mM", schema("compare.ranking"), choices=legends)
    assert p.value == {"ranking": ["11 mM", "1 mM", "0.5 mM"]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"E_half": 0.45}', {"value": 0.45, "unit": ""}),
        ('{"E_half": "450 mV"}', {"value": 450.0, "unit": "mV"}),
        ('```json\n{"E_half": {"value": "0.45", "unit": "V"}}\n```', {"value": 0.45, "unit": "V"}),
    ],
)
def test_json_is_coerced_to_the_schema(raw, expected):
    parsed = parse_response(raw, schema("values.e_half"))
    assert parsed.status == "ok" and parsed.extra["source"] == "json_coerced"
    assert {k: parsed.value["E_half"][k] for k in ("value", "unit")} == expected


def test_json_words_are_coerced():
    p = parse_response(
        '{"reversibility": "Quasi reversible", "delta_Ep": null}', schema("reversibility.class")
    )
    assert p.value["reversibility"] == "quasi-reversible"
    p = parse_response('{"trustworthy": "yes", "reasons": []}', schema("anomaly.trust"))
    assert p.status == "ok" and p.value["trustworthy"] is True
    p = parse_response('{"n_peaks": 2.0, "anodic": "one", "cathodic": 1}', schema("peaks.count"))
    assert p.status == "ok" and p.value == {"n_peaks": 2, "anodic": 1, "cathodic": 1}


def test_valid_json_is_kept_and_confidence_read():
    p = parse_response('{"E_half": {"value": 0.1, "unit": "V"}, "confidence": 0.7}', schema("values.e_half"))
    assert p.status == "ok" and p.extra["source"] == "json" and p.extra["confidence"] == 0.7
    p = parse_response("E½ = 0.1 V. Confidence: 80%", schema("values.e_half"))
    assert p.extra["confidence"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("I'm sorry, I can't analyse this image.", "refusal"),
        ("I cannot help with that.", "refusal"),
        ("What a lovely figure.", "unparseable"),
        ("", "unparseable"),
        (None, "unparseable"),
        ('{"E_half": [1, 2]}', "invalid"),
        ("{not json at all", "unparseable"),
    ],
)
def test_refusals_and_garbage_never_raise(raw, status):
    assert parse_response(raw, schema("values.e_half")).status == status


def test_analysis_schema_needs_json():
    assert parse_free_text("two peaks at 0.1 V", {"$ref": "voltlens:analysis-schema"}).status == "unparseable"


@pytest.mark.parametrize("junk", ["\x00\x01", "{" * 200, "1e999999 V", "µ" * 1000, "peak " * 500])
def test_pathological_input_never_raises(junk):
    for t in TEMPLATES.values():
        parse_response(junk, t.answer_schema)
