"""The versioned benchmark spec: a ``voltlens synth`` figure mix plus the question stage.

``load_spec(None)`` reads the bundled ECBench v1 (``specs/ecbench_v1.yaml``); a user file with the
same fields defines another benchmark.  Bad files are refused with a ConfigError naming the file,
the field and the value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..dataset.templates import SKILLS
from ..errors import ConfigError
from ..synth.config import SynthConfig, config_from_mapping, first_error

__all__ = ["DEFAULT_SPEC", "BenchSpec", "load_spec"]

DEFAULT_SPEC = Path(__file__).parent / "specs" / "ecbench_v1.yaml"


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    questions_per_figure: int = Field(default=3, ge=1, le=12)
    skills: dict[str, float]
    synth: dict[str, Any] = Field(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("skills")
    @classmethod
    def _check_skills(cls, v: dict[str, float]) -> dict[str, float]:
        for key, w in v.items():
            if key not in SKILLS:
                raise ValueError(f"unknown skill {key!r}; expected one of {', '.join(SKILLS)}")
            if not w > 0:
                raise ValueError(f"weight of {key!r} must be > 0, got {w!r}")
        missing = [s for s in SKILLS if s not in v]
        if missing:
            raise ValueError(f"every skill must be represented; missing {', '.join(missing)}")
        return v


@dataclass(frozen=True, slots=True)
class BenchSpec:
    """A validated spec: its fields, the synth configuration and the raw mapping it came from."""

    name: str
    version: str
    questions_per_figure: int
    skills: dict[str, float]
    synth: SynthConfig
    data: dict[str, Any]
    source: str

    def sha256(self) -> str:
        """A digest of the spec's content (key order and comments do not matter)."""
        text = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def spec_from_mapping(data: Any, *, source: str = "<spec>") -> BenchSpec:
    if not isinstance(data, dict):
        raise ConfigError(source, "<root>", data, "must be a mapping of fields")
    try:
        fields = _Fields.model_validate(data)
    except ValidationError as exc:
        raise first_error(source, exc, data) from None
    synth = config_from_mapping(dict(fields.synth), source=f"{source}: synth")
    return BenchSpec(
        fields.name,
        fields.version,
        fields.questions_per_figure,
        dict(fields.skills),
        synth,
        json.loads(json.dumps(data)),
        source,
    )


def load_spec(path: str | Path | None = None) -> BenchSpec:
    """Read a benchmark spec YAML (``None`` → the bundled ECBench v1)."""
    p = DEFAULT_SPEC if path is None else Path(path)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "<file>", source, f"cannot be read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, "<yaml>", getattr(exc, "problem", str(exc)), "is not valid YAML") from None
    return spec_from_mapping(data, source=source)
