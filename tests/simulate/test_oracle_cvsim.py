"""Agreement with the independent `cvsim` package (Oldham–Myland semi-integration, MIT) as an oracle.

cvsim takes mM, cm²/s, cm/s, mV steps and a disk radius in mm (area π r²), and always names the
species present at the start "reactant".  Its transfer coefficient is that of the *first*
reaction (cathodic for a reduction first, anodic for an oxidation first), so α_ours = 1 − α_cvsim
when the species starts reduced.  Its E_qC applies exp(−k) per step without the time step, so it
is given k·Δt (dimensionless per step) to describe rate constants k in 1/s.  cvsim uses Grünwald
weights, which lag by about a quarter step (≈0.25 mV here) — well inside the 1 mV gate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

cvsim = pytest.importorskip("cvsim.mechanisms")

from voltlens.simulate import EC, EE, Cell, CVWaveform, QuasiReversible, Reversible, simulate_cv  # noqa: E402

from .helpers import peak  # noqa: E402

RADIUS_MM = 1.5
CELL = Cell(area_m2=math.pi * (RADIUS_MM * 1e-3) ** 2, temperature_K=298.15)
V = 0.1
STEP_MV = 1.0


def _compare(ours, potential_ref: np.ndarray, current_ref: np.ndarray, first_sign: int) -> None:
    """Forward and reverse peaks within 1 % and 1 mV; the whole curve within 1 % of the peak."""
    e = ours.voltammogram.potential[1:]  # cvsim starts one step after the start potential
    i = ours.voltammogram.current[1:]
    assert np.allclose(e, potential_ref, atol=1e-9)
    half = e.size // 2
    for part, sign in ((slice(0, half), first_sign), (slice(half, None), -first_sign)):
        e_ours, i_ours = peak(e[part], i[part], sign)
        e_ref, i_ref = peak(potential_ref[part], current_ref[part], sign)
        assert i_ours == pytest.approx(i_ref, rel=0.01)
        assert e_ours == pytest.approx(e_ref, abs=1e-3)
    assert np.max(np.abs(i - current_ref)) <= 0.01 * np.max(np.abs(current_ref))


@pytest.mark.parametrize(
    ("initially", "start", "switch", "d_product"),
    [("ox", 0.4, -0.35, 1e-9), ("ox", 0.35, -0.4, 0.4e-9), ("red", -0.35, 0.45, 0.7e-9)],
)
def test_reversible_matches_cvsim_e_rev(initially, start, switch, d_product):
    e0, c, d = 0.03, 1.0, 1e-9
    sp = Reversible(
        e0_V=e0,
        concentration_mol_m3=c,
        diffusion_m2_s=d,
        diffusion_product_m2_s=d_product,
        initially=initially,
    )
    ours = simulate_cv(sp, CVWaveform(start, switch, V, STEP_MV * 1e-3), CELL)
    ref = cvsim.E_rev(start, switch, e0, V, c, d * 1e4, d_product * 1e4, STEP_MV, RADIUS_MM, 298.15)
    _compare(ours, *ref.simulate(), first_sign=1 if initially == "red" else -1)


@pytest.mark.parametrize(
    ("initially", "k0_cm_s", "alpha"),
    [("ox", 1e-2, 0.5), ("ox", 1e-3, 0.3), ("red", 3e-4, 0.3), ("ox", 1e-5, 0.6)],
)
def test_quasi_reversible_matches_cvsim_e_q(initially, k0_cm_s, alpha):
    e0, c, d = 0.0, 2.0, 1e-9
    start, switch = (0.4, -0.4) if initially == "ox" else (-0.4, 0.4)
    if k0_cm_s < 1e-4:
        start, switch = (0.2, -0.6) if initially == "ox" else (-0.2, 0.6)
    sp = QuasiReversible(
        e0_V=e0,
        concentration_mol_m3=c,
        diffusion_m2_s=d,
        k0_m_s=k0_cm_s * 1e-2,
        alpha=alpha,
        initially=initially,
    )
    ours = simulate_cv(sp, CVWaveform(start, switch, V, STEP_MV * 1e-3), CELL)
    alpha_ref = alpha if initially == "ox" else 1.0 - alpha
    ref = cvsim.E_q(start, switch, e0, V, c, d * 1e4, d * 1e4, alpha_ref, k0_cm_s, STEP_MV, RADIUS_MM, 298.15)
    _compare(ours, *ref.simulate(), first_sign=1 if initially == "red" else -1)


@pytest.mark.parametrize(("kf", "kb"), [(1.0, 0.5), (0.3, 0.03)])
def test_ec_matches_cvsim_e_qc(kf, kb):
    e0, c, d, k0_cm_s = 0.0, 1.0, 1e-9, 1e-2
    start, switch = 0.35, -0.35
    sp = EC(
        e0_V=e0,
        concentration_mol_m3=c,
        diffusion_m2_s=d,
        k0_m_s=k0_cm_s * 1e-2,
        kf_per_s=kf,
        kb_per_s=kb,
        initially="ox",
    )
    ours = simulate_cv(sp, CVWaveform(start, switch, V, STEP_MV * 1e-3), CELL)
    dt = STEP_MV * 1e-3 / V
    ref = cvsim.E_qC(
        start, switch, e0, V, c, d * 1e4, d * 1e4, 0.5, k0_cm_s, kf * dt, kb * dt, STEP_MV, RADIUS_MM, 298.15
    )
    _compare(ours, *ref.simulate(), first_sign=-1)


@pytest.mark.parametrize(("e0_2", "k0_cm_s"), [(-0.2, 1e-2), (0.1, 1e-3)])  # separated; merged (inverted)
def test_ee_matches_cvsim_ee(e0_2, k0_cm_s):
    e0_1, c, d, d_int, d_prod = 0.0, 1.0, 1e-9, 0.8e-9, 0.6e-9
    start, switch = 0.35, -0.45
    sp = EE(
        e0_1_V=e0_1,
        e0_2_V=e0_2,
        concentration_mol_m3=c,
        diffusion_m2_s=d,
        diffusion_intermediate_m2_s=d_int,
        diffusion_product_m2_s=d_prod,
        k0_1_m_s=k0_cm_s * 1e-2,
        k0_2_m_s=k0_cm_s * 1e-2,
        initially="ox",
    )
    ours = simulate_cv(sp, CVWaveform(start, switch, V, STEP_MV * 1e-3), CELL)
    ref = cvsim.EE(
        start,
        switch,
        e0_1,
        e0_2,
        V,
        c,
        d * 1e4,
        d_int * 1e4,
        d_prod * 1e4,
        0.5,
        0.5,
        k0_cm_s,
        k0_cm_s,
        STEP_MV,
        RADIUS_MM,
        298.15,
    )
    _compare(ours, *ref.simulate(), first_sign=-1)
