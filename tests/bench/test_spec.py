"""The versioned bench spec: the bundled ECBench v1 and the refusal of bad spec files."""

from __future__ import annotations

import pytest
import yaml

from voltlens.bench.spec import DEFAULT_SPEC, load_spec
from voltlens.dataset.templates import SKILLS, TEMPLATES
from voltlens.errors import ConfigError
from voltlens.synth.config import KINDS


def test_bundled_spec_is_ecbench_v1_and_covers_every_skill_and_kind():
    spec = load_spec(None)
    assert (spec.name, spec.version) == ("ECBench", "1.1")
    assert set(spec.skills) == set(SKILLS) and all(w > 0 for w in spec.skills.values())
    # every skill has at least one template that the figure mix can ask
    kinds = {k for k, w in spec.synth.kinds.items() if w > 0}
    assert kinds == set(KINDS)
    for skill in SKILLS:
        assert any(t.skill == skill and kinds & set(t.kinds) for t in TEMPLATES.values()), skill
    assert 0 < spec.synth.degradation_probability < 1
    assert spec.questions_per_figure >= 1


def test_spec_digest_ignores_formatting(tmp_path):
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    other = tmp_path / "same.yaml"
    other.write_text(yaml.safe_dump(dict(reversed(list(data.items())))))
    assert load_spec(other).sha256() == load_spec(None).sha256()
    data["synth"]["degradation_probability"] = 0.5
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data))
    assert load_spec(changed).sha256() != load_spec(None).sha256()


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"skills": {"values": 1.0}}, "skills"),  # skills missing
        ({"skills": {**dict.fromkeys(SKILLS, 1.0), "telepathy": 1.0}}, "skills"),
        ({"questions_per_figure": 0}, "questions_per_figure"),
        ({"colour": "red"}, "colour"),
        ({"synth": {"kinds": {"triptych": 1.0}}}, "kinds"),
    ],
)
def test_bad_spec_names_file_and_field(tmp_path, patch, field):
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data.update(patch)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    assert str(path) in str(err.value) and field in str(err.value)


def test_unreadable_spec(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="YAML"):
        load_spec(bad)
