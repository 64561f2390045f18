"""Technique names as instruments write them → :class:`~voltlens.model.Technique`, or the name of a
measurement voltlens does not analyse (EIS, chronoamperometry, OCP, ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UnsupportedMeasurementError
from ..model import Technique

__all__ = ["Unsupported", "classify_technique", "raise_unsupported", "unsupported_message"]


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A measurement voltlens does not analyse, named for messages (e.g. "EIS (impedance)")."""

    kind: str


_SUPPORTED: tuple[tuple[str, Technique], ...] = (
    (r"differential\s*pulse|\bdpv\b|diffpulse", Technique.DPV),
    (r"square[\s_-]*wave|\bswv\b|\bosww?v\b", Technique.SWV),
    (r"cyclic\s*voltammetry|cyclic\s*voltammogram|\bcva?\b|\brcv\b|\bfcv\b|cyclic", Technique.CV),
    (r"linear\s*sweep|\blsv?\b|potentiodynamic|linear\s*polari[sz]ation", Technique.LSV),
)
_UNSUPPORTED: tuple[tuple[str, str], ...] = (
    (r"impedance|\beis\b|\bpeis\b|\bgeis\b|eispot|eisgalv|\bz\b", "EIS (impedance)"),
    (r"normal\s*pulse|\bnpv\b", "normal pulse voltammetry (NPV)"),
    (r"\bac\s*voltammetry|\bacv\b", "AC voltammetry"),
    (
        r"chronoamperometry|chronoamp|amperometric|\bi-t\b|\bca\b|\bad\b|\bpad\b|\bfca\b|multistep",
        "chronoamperometry",
    ),
    (r"chronocoulometry|\bcc\b", "chronocoulometry"),
    (r"chronopotentiometry|chronopot|\bcp\b|galvanostatic|\bgcpl\b|galvanostat", "chronopotentiometry"),
    (r"open\s*circuit|\bocp\b|\bocv\b|corpot|\beoc\b", "open-circuit potential (OCP)"),
    (r"stripping\s*chrono|\bpsa\b", "potentiometric stripping"),
    (r"bulk\s*electrolysis", "bulk electrolysis"),
)


def classify_technique(text: str | None) -> Technique | Unsupported | None:
    """Technique for a supported name, :class:`Unsupported` for one voltlens skips, None if unknown."""
    if not text:
        return None
    t = text.strip().lower().replace("_", " ")
    for pattern, technique in _SUPPORTED:
        if re.search(pattern, t):
            return technique
    for pattern, name in _UNSUPPORTED:
        if re.search(pattern, t):
            return Unsupported(name)
    return None


def unsupported_message(kinds: list[str]) -> str:
    unique = list(dict.fromkeys(kinds))
    what = unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]
    return f"holds {what}, which voltlens does not analyse"


def raise_unsupported(source: str, kinds: list[str]) -> None:
    raise UnsupportedMeasurementError(source, unsupported_message(kinds))
