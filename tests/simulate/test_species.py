"""Species and cell records: validation names the field and shows the value; E½ and Λ follow B&F."""

from __future__ import annotations

import math

import pytest

from voltlens.constants import thermal_voltage
from voltlens.errors import ParameterError
from voltlens.simulate import (
    EC,
    EE,
    Adsorbed,
    Cell,
    Irreversible,
    QuasiReversible,
    Reversible,
    half_wave_potential_V,
    kinetic_parameter,
)

BASE = {"e0_V": 0.1, "concentration_mol_m3": 1.0, "diffusion_m2_s": 1e-9}


@pytest.mark.parametrize(
    ("cls", "extra", "field", "value"),
    [
        (Reversible, {}, "diffusion_m2_s", -1e-9),
        (Reversible, {}, "diffusion_m2_s", 1e-5),  # cm²/s given by mistake
        (Reversible, {}, "concentration_mol_m3", -1.0),
        (Reversible, {}, "e0_V", math.nan),
        (Reversible, {}, "n", 0),
        (Reversible, {}, "initially", "reduced"),
        (QuasiReversible, {"k0_m_s": 1e-5}, "k0_m_s", 0.0),
        (QuasiReversible, {"k0_m_s": 1e-5}, "alpha", 1.0),
        (Irreversible, {"k0_m_s": 1e-9}, "alpha", 0.0),
        (EC, {"kf_per_s": 1.0}, "kf_per_s", -1.0),
        (EC, {"kf_per_s": 1.0}, "kb_per_s", math.inf),
    ],
)
def test_bad_value_names_field_and_value(cls, extra, field, value):
    kwargs = {**BASE, **extra, field: value}
    with pytest.raises(ParameterError) as info:
        cls(**kwargs)
    assert info.value.name == f"{cls.__name__}.{field}"
    assert repr(value) in str(info.value)


def test_ee_and_adsorbed_and_cell_validation():
    with pytest.raises(ParameterError, match=r"EE\.alpha_2"):
        EE(e0_1_V=0, e0_2_V=0.1, concentration_mol_m3=1, diffusion_m2_s=1e-9, alpha_2=1.5)
    with pytest.raises(ParameterError, match=r"Adsorbed\.coverage_mol_m2"):
        Adsorbed(e0_V=0, coverage_mol_m2=-1e-6)
    with pytest.raises(ParameterError, match=r"Cell\.area_m2"):
        Cell(area_m2=0.0707)  # cm² given by mistake
    with pytest.raises(ParameterError, match=r"Cell\.cdl_F_m2"):
        Cell(area_m2=1e-5, cdl_F_m2=20.0e3)
    with pytest.raises(ParameterError, match=r"Cell\.ru_ohm"):
        Cell(area_m2=1e-5, ru_ohm=-5)


def test_records_are_frozen_and_keyword_only():
    sp = Reversible(**BASE)
    with pytest.raises(AttributeError):
        sp.e0_V = 0.2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Reversible(0.1, 1.0, 1e-9)  # type: ignore[misc]


@pytest.mark.parametrize("initially", ["red", "ox"])
def test_half_wave_potential_follows_diffusion_ratio(initially):
    """B&F 6.2.3: E½ = E°′ + (RT/nF) ln (D_R/D_O)^½."""
    sp = Reversible(**BASE, n=2, diffusion_product_m2_s=0.25e-9, initially=initially)
    d_red, d_ox = (1e-9, 0.25e-9) if initially == "red" else (0.25e-9, 1e-9)
    expected = 0.1 + thermal_voltage() / 2 * 0.5 * math.log(d_red / d_ox)
    assert half_wave_potential_V(sp) == pytest.approx(expected, abs=1e-12)


def test_kinetic_parameter_is_matsuda_ayabe():
    sp = QuasiReversible(**BASE, k0_m_s=1e-5)
    f = 1 / thermal_voltage()
    assert kinetic_parameter(sp, 0.1) == pytest.approx(1e-5 / math.sqrt(1e-9 * f * 0.1))
    with pytest.raises(ParameterError, match="scan_rate_V_s"):
        kinetic_parameter(sp, -0.1)
