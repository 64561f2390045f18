"""Redox species and the cell they are measured in: validated parameter records in SI units.

Every species record is a frozen, keyword-only dataclass checked in ``__post_init__``; a bad
value raises :class:`~voltlens.errors.ParameterError` naming the class, the field and the value.
Units: V, mol/m³ (= mM) for bulk concentration, m²/s for diffusion coefficients, m/s for the
standard rate constant k0 of a dissolved couple, 1/s for homogeneous rate constants and for the
k0 of a surface-confined layer, mol/m² for surface coverage.

``initially`` says which form is present at the start: ``"red"`` (the reduced form; its first
wave is an oxidation on an anodic sweep) or ``"ox"`` (reduction first on a cathodic sweep).
The form present at the start is the *reactant*, the other the *product*;
``diffusion_m2_s`` is the reactant's diffusion coefficient and ``diffusion_product_m2_s``
(default: the same) the product's.  ``alpha`` is always the cathodic transfer coefficient
(the reduction rate goes as exp(−α n f (E − E°′)), the oxidation rate as exp((1−α) n f (E − E°′))).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..constants import STANDARD_TEMPERATURE, thermal_voltage
from ..errors import ParameterError

__all__ = [
    "EC",
    "EE",
    "Adsorbed",
    "Cell",
    "Irreversible",
    "QuasiReversible",
    "Reversible",
    "Species",
    "half_wave_potential_V",
    "kinetic_parameter",
]

Initially = Literal["red", "ox"]

_MAX_DIFFUSION = 1e-6  # m²/s; liquids are 1e-11..1e-8, so a larger value is almost surely cm²/s


def _fail(owner: object, name: str, value: object, expected: str) -> ParameterError:
    return ParameterError(f"{type(owner).__name__}.{name}", value, expected)


def _finite(owner: object, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(owner, name, value, "must be a finite number")
    return float(value)


def _positive(owner: object, name: str, value: float, unit: str, *, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _fail(owner, name, value, f"must be a number in {unit}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise _fail(owner, name, value, f"must be finite and {bound} ({unit})")


def _diffusion(owner: object, name: str, value: float) -> None:
    _positive(owner, name, value, "m²/s")
    if value > _MAX_DIFFUSION:
        raise _fail(
            owner,
            name,
            value,
            "is too large for m²/s (typical 1e-9 m²/s; 1e-5 is a value in cm²/s: multiply by 1e-4)",
        )


def _rate(owner: object, name: str, value: float, unit: str) -> None:
    """A rate constant: positive, ``math.inf`` allowed (the reversible limit)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or value <= 0:
        raise _fail(owner, name, value, f"must be > 0 ({unit}); use math.inf for the reversible limit")


def _alpha(owner: object, name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise _fail(owner, name, value, "transfer coefficient must lie strictly between 0 and 1")


def _electrons(owner: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
        raise _fail(owner, "n", value, "number of electrons must be an integer from 1 to 6")


def _initially(owner: object, value: str) -> None:
    if value not in ("red", "ox"):
        raise _fail(owner, "initially", value, "must be 'red' (oxidation first) or 'ox' (reduction first)")


def _common(owner: object) -> None:
    """Checks shared by the dissolved (diffusing) species."""
    _finite(owner, "e0_V", owner.e0_V)  # type: ignore[attr-defined]
    _positive(owner, "concentration_mol_m3", owner.concentration_mol_m3, "mol/m³ = mM", allow_zero=True)  # type: ignore[attr-defined]
    _diffusion(owner, "diffusion_m2_s", owner.diffusion_m2_s)  # type: ignore[attr-defined]
    if owner.diffusion_product_m2_s is not None:  # type: ignore[attr-defined]
        _diffusion(owner, "diffusion_product_m2_s", owner.diffusion_product_m2_s)  # type: ignore[attr-defined]
    _electrons(owner, owner.n)  # type: ignore[attr-defined]
    _initially(owner, owner.initially)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reversible:
    """A Nernstian (diffusion-controlled) couple O + n e⁻ ⇌ R in solution."""

    e0_V: float
    concentration_mol_m3: float
    diffusion_m2_s: float
    n: int = 1
    diffusion_product_m2_s: float | None = None
    initially: Initially = "red"

    def __post_init__(self) -> None:
        _common(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuasiReversible:
    """A couple with Butler–Volmer kinetics of finite standard rate constant ``k0_m_s``."""

    e0_V: float
    concentration_mol_m3: float
    diffusion_m2_s: float
    k0_m_s: float
    alpha: float = 0.5
    n: int = 1
    diffusion_product_m2_s: float | None = None
    initially: Initially = "red"

    def __post_init__(self) -> None:
        _common(self)
        _rate(self, "k0_m_s", self.k0_m_s, "m/s")
        _alpha(self, "alpha", self.alpha)


@dataclass(frozen=True, slots=True, kw_only=True)
class Irreversible:
    """Butler–Volmer kinetics meant to be slow (Matsuda–Ayabe Λ < 10^(−2(1+α))): labelled irreversible.

    The same equations as :class:`QuasiReversible` (the back reaction is kept, it is simply
    negligible where the wave lies); the class records the intended regime for labels.
    """

    e0_V: float
    concentration_mol_m3: float
    diffusion_m2_s: float
    k0_m_s: float
    alpha: float = 0.5
    n: int = 1
    diffusion_product_m2_s: float | None = None
    initially: Initially = "red"

    def __post_init__(self) -> None:
        _common(self)
        _rate(self, "k0_m_s", self.k0_m_s, "m/s")
        _alpha(self, "alpha", self.alpha)


@dataclass(frozen=True, slots=True, kw_only=True)
class EC:
    """Electron transfer followed by a first-order chemical step of its product: P ⇌ Z (kf, kb).

    ``k0_m_s`` defaults to the reversible limit (Nicholson–Shain E_rC_i when ``kb_per_s`` is 0).
    Z is electro-inactive in the window and diffuses like the product P.
    """

    e0_V: float
    concentration_mol_m3: float
    diffusion_m2_s: float
    kf_per_s: float
    kb_per_s: float = 0.0
    k0_m_s: float = math.inf
    alpha: float = 0.5
    n: int = 1
    diffusion_product_m2_s: float | None = None
    initially: Initially = "red"

    def __post_init__(self) -> None:
        _common(self)
        _rate(self, "k0_m_s", self.k0_m_s, "m/s")
        _alpha(self, "alpha", self.alpha)
        _positive(self, "kf_per_s", self.kf_per_s, "1/s", allow_zero=True)
        _positive(self, "kb_per_s", self.kb_per_s, "1/s", allow_zero=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class EE:
    """Two sequential one-electron transfers A ⇌ B ⇌ C (separated or merged waves).

    Step 1 is the first electron taken from (``initially="red"``) or given to (``"ox"``) the
    species present at the start, with formal potential ``e0_1_V``; step 2 the second, ``e0_2_V``.
    For an oxidation the waves are separated when e0_2_V > e0_1_V and merge into one two-electron
    wave when e0_2_V ≤ e0_1_V (potential inversion); for a reduction the other way round.
    """

    e0_1_V: float
    e0_2_V: float
    concentration_mol_m3: float
    diffusion_m2_s: float
    k0_1_m_s: float = math.inf
    k0_2_m_s: float = math.inf
    alpha_1: float = 0.5
    alpha_2: float = 0.5
    diffusion_intermediate_m2_s: float | None = None
    diffusion_product_m2_s: float | None = None
    initially: Initially = "red"

    def __post_init__(self) -> None:
        _finite(self, "e0_1_V", self.e0_1_V)
        _finite(self, "e0_2_V", self.e0_2_V)
        _positive(self, "concentration_mol_m3", self.concentration_mol_m3, "mol/m³ = mM", allow_zero=True)
        _diffusion(self, "diffusion_m2_s", self.diffusion_m2_s)
        for name in ("diffusion_intermediate_m2_s", "diffusion_product_m2_s"):
            if getattr(self, name) is not None:
                _diffusion(self, name, getattr(self, name))
        _rate(self, "k0_1_m_s", self.k0_1_m_s, "m/s")
        _rate(self, "k0_2_m_s", self.k0_2_m_s, "m/s")
        _alpha(self, "alpha_1", self.alpha_1)
        _alpha(self, "alpha_2", self.alpha_2)
        _initially(self, self.initially)


@dataclass(frozen=True, slots=True, kw_only=True)
class Adsorbed:
    """A surface-confined Langmuir layer (no interactions) of total coverage ``coverage_mol_m2``.

    ``k0_per_s`` is the standard rate constant of the surface reaction (1/s, Laviron); the
    default ``math.inf`` is the reversible (Nernstian) layer.  1e-10 mol/cm² = 1e-6 mol/m².
    """

    e0_V: float
    coverage_mol_m2: float
    n: int = 1
    k0_per_s: float = math.inf
    alpha: float = 0.5
    initially: Initially = "red"

    def __post_init__(self) -> None:
        _finite(self, "e0_V", self.e0_V)
        _positive(self, "coverage_mol_m2", self.coverage_mol_m2, "mol/m²", allow_zero=True)
        if self.coverage_mol_m2 > 1e-3:
            raise _fail(self, "coverage_mol_m2", self.coverage_mol_m2, "is above a monolayer (≤ 1e-3 mol/m²)")
        _electrons(self, self.n)
        _rate(self, "k0_per_s", self.k0_per_s, "1/s")
        _alpha(self, "alpha", self.alpha)
        _initially(self, self.initially)


Species = Reversible | QuasiReversible | Irreversible | EC | EE | Adsorbed
SPECIES_TYPES = (Reversible, QuasiReversible, Irreversible, EC, EE, Adsorbed)


@dataclass(frozen=True, slots=True)
class Cell:
    """The electrode and cell: area (m²), temperature (K), uncompensated resistance (Ω) and
    double-layer capacitance per area (F/m²; 20 µF/cm² = 0.2 F/m²)."""

    area_m2: float
    temperature_K: float = STANDARD_TEMPERATURE
    ru_ohm: float = 0.0
    cdl_F_m2: float = 0.0

    def __post_init__(self) -> None:
        _positive(self, "area_m2", self.area_m2, "m² (0.0707 cm² = 7.07e-6 m²)")
        if self.area_m2 > 0.01:
            raise _fail(
                self, "area_m2", self.area_m2, "is above 100 cm²: give the area in m² (1 cm² = 1e-4 m²)"
            )
        _positive(self, "temperature_K", self.temperature_K, "K")
        if not 200.0 <= self.temperature_K <= 500.0:
            raise _fail(self, "temperature_K", self.temperature_K, "must be between 200 and 500 K")
        _positive(self, "ru_ohm", self.ru_ohm, "Ω", allow_zero=True)
        _positive(self, "cdl_F_m2", self.cdl_F_m2, "F/m² (20 µF/cm² = 0.2 F/m²)", allow_zero=True)
        if self.cdl_F_m2 > 100.0:
            raise _fail(
                self, "cdl_F_m2", self.cdl_F_m2, "is above 100 F/m²: give Cdl in F/m² (1 µF/cm² = 0.01 F/m²)"
            )


def check_species(species: object, *, where: str = "species") -> None:
    """Raise ParameterError unless ``species`` is one of the species records."""
    if not isinstance(species, SPECIES_TYPES):
        names = ", ".join(t.__name__ for t in SPECIES_TYPES)
        raise ParameterError(where, species, f"must be one of {names}")


def half_wave_potential_V(species: Species, temperature_K: float = STANDARD_TEMPERATURE) -> float:
    """E½ of a dissolved couple: E°′ + (RT/nF) ln √(D_R/D_O) (B&F 6.2.3); E°′ for a surface layer.

    For :class:`EE` it is E½ of the first step.
    """
    check_species(species)
    if isinstance(species, Adsorbed):
        return float(species.e0_V)
    if isinstance(species, EE):
        e0, n, d_product = species.e0_1_V, 1, species.diffusion_intermediate_m2_s
    else:
        e0, n, d_product = species.e0_V, species.n, species.diffusion_product_m2_s
    d_reactant = species.diffusion_m2_s
    d_product = d_reactant if d_product is None else d_product
    d_red, d_ox = (d_reactant, d_product) if species.initially == "red" else (d_product, d_reactant)
    return float(e0 + thermal_voltage(temperature_K) / n * 0.5 * math.log(d_red / d_ox))


def kinetic_parameter(
    species: QuasiReversible | Irreversible | EC,
    scan_rate_V_s: float,
    temperature_K: float = STANDARD_TEMPERATURE,
) -> float:
    """Matsuda–Ayabe Λ = k0 / (D f v)^½ with D the reactant's diffusion coefficient and f = nF/RT.

    Reversible for Λ ≥ 15, irreversible below 10^(−2(1+α)) (B&F §6.5).
    """
    if not isinstance(species, QuasiReversible | Irreversible | EC):
        raise ParameterError("species", species, "must be QuasiReversible, Irreversible or EC")
    if not (isinstance(scan_rate_V_s, int | float) and math.isfinite(scan_rate_V_s) and scan_rate_V_s > 0):
        raise ParameterError("scan_rate_V_s", scan_rate_V_s, "must be a positive scan rate in V/s")
    f = species.n / thermal_voltage(temperature_K)
    return float(species.k0_m_s / math.sqrt(species.diffusion_m2_s * f * scan_rate_V_s))
