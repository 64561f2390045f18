"""What ``voltlens synth`` draws and how often: a validated, hashable mixing configuration.

A YAML file may override any field; unknown fields and bad values are refused with a
:class:`~voltlens.errors.ConfigError` naming the file, the field and the value.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..errors import ConfigError

__all__ = ["SynthConfig", "load_config"]

MECHANISMS = ("reversible", "quasi-reversible", "irreversible", "EC", "EE", "adsorbed")
TECHNIQUES = ("CV", "LSV", "DPV")
KINDS = ("single", "overlay", "scan_rate_series", "concentration_series")
ARTIFACTS = (
    "noise",
    "one_over_f",
    "charging",
    "background",
    "ru",
    "mains",
    "spikes",
    "drift",
    "clipping",
    "fouling",
    "reference_drift",
    "quantization",
)


_WEIGHTED = {
    "techniques": (TECHNIQUES, "technique"),
    "mechanisms": (MECHANISMS, "mechanism"),
    "kinds": (KINDS, "kind"),
}


def _weights(value: dict[str, float], allowed: tuple[str, ...], name: str) -> dict[str, float]:
    for key, weight in value.items():
        if key not in allowed:
            raise ValueError(f"unknown {name} {key!r}; expected one of {', '.join(allowed)}")
        if not (weight >= 0):
            raise ValueError(f"weight of {key!r} must be ≥ 0, got {weight!r}")
    if sum(value.values()) <= 0:
        raise ValueError("at least one weight must be positive")
    return value


class SynthConfig(BaseModel):
    """Mixing ratios and parameter ranges; defaults give a broad, realistic mix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    techniques: dict[str, float] = Field(default_factory=lambda: {"CV": 0.72, "LSV": 0.06, "DPV": 0.22})
    mechanisms: dict[str, float] = Field(
        default_factory=lambda: {
            "reversible": 0.3,
            "quasi-reversible": 0.25,
            "irreversible": 0.1,
            "EC": 0.1,
            "EE": 0.1,
            "adsorbed": 0.15,
        }
    )
    kinds: dict[str, float] = Field(
        default_factory=lambda: {
            "single": 0.6,
            "overlay": 0.12,
            "scan_rate_series": 0.16,
            "concentration_series": 0.12,
        }
    )
    artifacts: dict[str, float] = Field(
        default_factory=lambda: {
            "noise": 0.7,
            "one_over_f": 0.15,
            "charging": 0.6,
            "background": 0.35,
            "ru": 0.15,
            "mains": 0.06,
            "spikes": 0.06,
            "drift": 0.1,
            "clipping": 0.04,
            "fouling": 0.08,
            "reference_drift": 0.05,
            "quantization": 0.05,
        },
        description="probability that each artifact is injected into a curve",
    )
    max_couples: int = Field(default=2, ge=1, le=4)
    max_cycles: int = Field(default=3, ge=1, le=10)
    scan_rate_V_s: tuple[float, float] = (0.01, 1.0)
    concentration_mM: tuple[float, float] = (0.1, 10.0)
    series_length: tuple[int, int] = (4, 7)
    degradation_probability: float = Field(default=0.3, ge=0.0, le=1.0)
    style: dict[str, Any] = Field(default_factory=dict, description="fields pinned in every style")

    @field_validator("techniques", "mechanisms", "kinds")
    @classmethod
    def _check_weights(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        allowed, noun = _WEIGHTED[info.field_name or ""]
        return _weights(v, allowed, noun)

    @field_validator("artifacts")
    @classmethod
    def _check_artifacts(cls, v: dict[str, float]) -> dict[str, float]:
        for key, p in v.items():
            if key not in ARTIFACTS:
                raise ValueError(f"unknown artifact {key!r}; expected one of {', '.join(ARTIFACTS)}")
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"probability of {key!r} must be in [0, 1], got {p!r}")
        return v

    @field_validator("scan_rate_V_s", "concentration_mM")
    @classmethod
    def _check_range(cls, v: tuple[float, float]) -> tuple[float, float]:
        lo, hi = v
        if not (0 < lo <= hi):
            raise ValueError(f"must satisfy 0 < low ≤ high, got {[lo, hi]!r}")
        return v

    @field_validator("series_length")
    @classmethod
    def _check_series_length(cls, v: tuple[int, int]) -> tuple[int, int]:
        lo, hi = v
        if not (3 <= lo <= hi <= 12):
            raise ValueError(f"must satisfy 3 ≤ low ≤ high ≤ 12, got {[lo, hi]!r}")
        return v

    def digest(self) -> str:
        """A stable hash of the configuration, recorded in the manifest."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def first_error(source: str, exc: ValidationError, data: dict[str, Any]) -> ConfigError:
    """The first problem pydantic found, as a ConfigError naming the field and the value given."""
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    field = ".".join(loc) or "<root>"
    value: Any = data
    for part in loc:
        value = value.get(part) if isinstance(value, dict) else err.get("input")
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    return ConfigError(source, field, value, message)


def config_from_mapping(data: dict[str, Any], *, source: str = "<config>") -> SynthConfig:
    try:
        return SynthConfig.model_validate(data)
    except ValidationError as exc:
        raise first_error(source, exc, data) from None


def load_config(path: str | Path | None) -> SynthConfig:
    """Read a YAML mixing file (``None`` → the defaults)."""
    if path is None:
        return SynthConfig()
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "<file>", source, f"cannot be read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(source, "<yaml>", getattr(exc, "problem", str(exc)), "is not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(source, "<root>", data, "must be a mapping of fields")
    return config_from_mapping(data, source=source)
