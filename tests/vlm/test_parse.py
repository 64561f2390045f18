"""Answer parsing: JSON found wherever the model puts it, schema problems and refusals reported, never raised."""

from __future__ import annotations

import json

import pytest

from voltlens.dataset.templates import TEMPLATES
from voltlens.vlm import extract_json, parse_answer, parse_report, schema_problems

E_HALF = TEMPLATES["values.e_half"].answer_schema
GOOD = {"E_half": {"value": 0.25, "unit": "V", "uncertainty": None}}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GOOD),
        "E½ is the midpoint.\n" + json.dumps(GOOD),
        "Here you go:\n```json\n" + json.dumps(GOOD, indent=2) + "\n```\nHope this helps {not json}",
        'first guess {"E_half": 1} then the answer ' + json.dumps(GOOD),
    ],
)
def test_json_is_found_wherever_it_is(text):
    parsed = parse_answer(text, E_HALF)
    assert parsed.ok, parsed.problems
    assert parsed.value == GOOD


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("The half-wave potential is about 0.25 V.", "unparseable"),
        ("", "unparseable"),
        (None, "unparseable"),
        ("I'm sorry, I cannot help with that.", "refusal"),
        ('{"E_half": {"value": "0.25 V", "unit": "V"}}', "invalid"),
        ('{"E_half": {"value": 0.25}}', "invalid"),
        ('{"E_half": 0.25', "unparseable"),
    ],
)
def test_bad_answers_are_classified_not_raised(text, status):
    assert parse_answer(text, E_HALF).status == status


def test_braces_inside_strings_do_not_confuse_extraction():
    text = 'note {"a": "x } y", "b": [1, 2]} end'
    assert extract_json(text) == {"a": "x } y", "b": [1, 2]}


def test_schema_checker_rules():
    schema = TEMPLATES["peaks.count"].answer_schema
    assert schema_problems({"n_peaks": 2, "anodic": 1, "cathodic": 1}, schema) == []
    assert schema_problems({"n_peaks": True, "anodic": 1, "cathodic": 1}, schema)  # bool is not an integer
    assert schema_problems({"n_peaks": 2.5, "anodic": 1, "cathodic": 1}, schema)
    enum = TEMPLATES["reversibility.class"].answer_schema
    assert schema_problems({"reversibility": "very", "delta_Ep": {"value": None, "unit": "V"}}, enum)


def test_report_parsing_validates_the_contract():
    report = {"schema_version": "1", "curves": [], "series": None, "interpretation": "nothing"}
    parsed = parse_report("```json\n" + json.dumps(report) + "\n```")
    assert parsed.ok and parsed.value["interpretation"] == "nothing"
    bad = parse_report(json.dumps({"curves": "none"}))
    assert bad.status == "invalid" and bad.problems
