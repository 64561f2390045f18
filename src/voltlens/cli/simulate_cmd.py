"""``voltlens simulate cv|lsv|dpv``: write a simulated voltammogram to CSV (``potential_V,current_A,time_s,cycle``).

Options carry their units in their names (laboratory units: mM, cm²/s, cm², cm/s, µF/cm², mV, ms)
and are converted to SI here.  The curve is clean unless artefact options are given; noise is
seeded by ``--seed``.  The file is written atomically (temporary file in the same folder, then
``os.replace``).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from ..errors import ParameterError
from ..io import write_csv
from ..simulate import (
    EC,
    EE,
    Adsorbed,
    Artifacts,
    Cell,
    CVWaveform,
    DPVWaveform,
    Irreversible,
    LSVWaveform,
    QuasiReversible,
    Reversible,
    Species,
    simulate_measurement,
)

__all__ = ["register"]

MECHANISMS = ("reversible", "quasi-reversible", "irreversible", "ec", "ee", "adsorbed")
_ALIASES = {"quasireversible": "quasi-reversible", "quasi": "quasi-reversible", "e": "reversible"}

app = typer.Typer(
    name="simulate",
    help="Simulate CV, LSV or DPV (semi-integral method, planar electrode) and write a CSV.",
    no_args_is_help=True,
)

Mechanism = Annotated[str, typer.Option("--mechanism", help=f"One of: {', '.join(MECHANISMS)}.")]
E0 = Annotated[float, typer.Option("--e0-V", help="Formal potential E°′ (V); first step for ee.")]
E02 = Annotated[float | None, typer.Option("--e0-2-V", help="Second formal potential for ee (V).")]
Electrons = Annotated[int, typer.Option("--n-electrons", help="Electrons transferred (not ee).")]
Conc = Annotated[float, typer.Option("--concentration-mM", help="Bulk concentration (mM = mol/m³).")]
Diff = Annotated[
    float, typer.Option("--diffusion-cm2-s", help="Diffusion coefficient of the species present (cm²/s).")
]
DiffP = Annotated[
    float | None, typer.Option("--diffusion-product-cm2-s", help="Product diffusion coefficient (cm²/s).")
]
K0 = Annotated[
    float | None, typer.Option("--k0-cm-s", help="Standard rate constant (cm/s); omit for reversible.")
]
K02 = Annotated[float | None, typer.Option("--k0-2-cm-s", help="Second step's k0 for ee (cm/s).")]
Alpha = Annotated[float, typer.Option("--alpha", help="Cathodic transfer coefficient.")]
Kf = Annotated[
    float, typer.Option("--kf-per-s", help="Forward rate of the follow-up chemical step (1/s), ec.")
]
Kb = Annotated[float, typer.Option("--kb-per-s", help="Backward rate of the chemical step (1/s), ec.")]
Coverage = Annotated[
    float, typer.Option("--coverage-mol-cm2", help="Surface coverage of an adsorbed layer (mol/cm²).")
]
K0s = Annotated[
    float | None, typer.Option("--k0-per-s", help="Surface rate constant of an adsorbed layer (1/s).")
]
Initially = Annotated[str, typer.Option("--initially", help="auto | red | ox: form present at the start.")]
Area = Annotated[float, typer.Option("--area-cm2", help="Electrode area (cm²).")]
Temp = Annotated[float, typer.Option("--temperature-K", help="Temperature (K).")]
Ru = Annotated[float, typer.Option("--ru-ohm", help="Uncompensated resistance (Ω).")]
Cdl = Annotated[float, typer.Option("--cdl-uF-cm2", help="Double-layer capacitance (µF/cm²).")]
Noise = Annotated[float, typer.Option("--noise-A", help="White-noise RMS (A).")]
Pink = Annotated[float, typer.Option("--pink-noise-A", help="1/f-noise RMS (A).")]
Mains = Annotated[float, typer.Option("--mains-A", help="Mains pick-up amplitude (A).")]
MainsHz = Annotated[float, typer.Option("--mains-Hz", help="Mains frequency (Hz).")]
Drift = Annotated[float, typer.Option("--drift-A-s", help="Baseline drift (A/s).")]
Slope = Annotated[float, typer.Option("--background-A-V", help="Linear background slope (A/V).")]
Spikes = Annotated[int, typer.Option("--spikes", help="Number of single-sample spikes.")]
SpikeA = Annotated[float, typer.Option("--spike-A", help="Spike amplitude (A).")]
Clip = Annotated[float | None, typer.Option("--clip-A", help="Current range: |i| is clipped here (A).")]
Lsb = Annotated[float, typer.Option("--adc-lsb-A", help="ADC resolution (A per count).")]
Fouling = Annotated[
    float, typer.Option("--fouling-per-cycle", help="Fraction of active area lost per cycle.")
]
RefDrift = Annotated[float, typer.Option("--ref-drift-mV-per-cycle", help="Reference drift per cycle (mV).")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the noise generator.")]
Out = Annotated[Path, typer.Option("--out", help="CSV file to write.")]
Start = Annotated[float, typer.Option("--start-V", help="Start potential (V).")]
Vertex = Annotated[float, typer.Option("--vertex-V", help="Switching (vertex) potential (V).")]
EndOpt = Annotated[float | None, typer.Option("--end-V", help="Final potential (V); default: start.")]
End = Annotated[float, typer.Option("--end-V", help="End potential (V).")]
Rate = Annotated[float, typer.Option("--scan-rate-V-s", help="Scan rate (V/s).")]
StepMv = Annotated[float, typer.Option("--step-mV", help="Potential step (mV).")]
Cycles = Annotated[int, typer.Option("--cycles", help="Number of cycles.")]
Amp = Annotated[
    float, typer.Option("--pulse-amplitude-mV", help="Pulse amplitude (mV), in the scan direction.")
]
Width = Annotated[float, typer.Option("--pulse-width-ms", help="Pulse width (ms).")]
Period = Annotated[float, typer.Option("--period-ms", help="Pulse period (ms).")]
Sample = Annotated[
    float, typer.Option("--sample-ms", help="Sampling window at each pulse end (ms); 0 = last point.")
]


# Options every command shares: (short key used below, parameter name, annotated type, default).
_SHARED: tuple[tuple[str, str, object, object], ...] = (
    ("mechanism", "mechanism", Mechanism, "reversible"),
    ("e0", "e0_V", E0, 0.0),
    ("e02", "e0_2_V", E02, None),
    ("n", "n_electrons", Electrons, 1),
    ("conc", "concentration_mM", Conc, 1.0),
    ("diff", "diffusion_cm2_s", Diff, 1e-5),
    ("diff_p", "diffusion_product_cm2_s", DiffP, None),
    ("k0", "k0_cm_s", K0, None),
    ("k02", "k0_2_cm_s", K02, None),
    ("alpha", "alpha", Alpha, 0.5),
    ("kf", "kf_per_s", Kf, 0.0),
    ("kb", "kb_per_s", Kb, 0.0),
    ("coverage", "coverage_mol_cm2", Coverage, 1e-10),
    ("k0_per_s", "k0_per_s", K0s, None),
    ("initially", "initially", Initially, "auto"),
    ("area", "area_cm2", Area, 0.0707),
    ("temperature", "temperature_K", Temp, 298.15),
    ("ru", "ru_ohm", Ru, 0.0),
    ("cdl", "cdl_uF_cm2", Cdl, 0.0),
    ("noise", "noise_A", Noise, 0.0),
    ("pink", "pink_noise_A", Pink, 0.0),
    ("mains", "mains_A", Mains, 0.0),
    ("mains_hz", "mains_Hz", MainsHz, 50.0),
    ("drift", "drift_A_s", Drift, 0.0),
    ("slope", "background_A_V", Slope, 0.0),
    ("spikes", "spikes", Spikes, 0),
    ("spike_a", "spike_A", SpikeA, 0.0),
    ("clip", "clip_A", Clip, None),
    ("lsb", "adc_lsb_A", Lsb, 0.0),
)
_CYCLE_OPTIONS: tuple[tuple[str, str, object, object], ...] = (
    ("fouling", "fouling_per_cycle", Fouling, 0.0),
    ("ref_drift", "ref_drift_mV_per_cycle", RefDrift, 0.0),
)
_SEED = (("seed", "seed", Seed, 0),)


def _with_options(*tables: tuple[tuple[str, str, object, object], ...]) -> Callable[[Callable], Callable]:
    """Give a command the shared options: typer reads them from the signature this adds.

    The command takes its own options plus ``o``, a dict of the shared ones under their short keys.
    """
    rows = [row for table in tables for row in table]

    def decorate(fn: Callable) -> Callable:
        own = [p for name, p in inspect.signature(fn, eval_str=True).parameters.items() if name != "o"]
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
            for _, name, a, d in rows
        ]
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

        @functools.wraps(fn)
        def command(**kwargs: object) -> None:
            shared = {key: kwargs.pop(name) for key, name, _, _ in rows}
            shared.setdefault("fouling", 0.0)
            shared.setdefault("ref_drift", 0.0)
            fn(**kwargs, o={"out": kwargs["out"], **shared})

        del command.__wrapped__  # typer must see the signature below, not fn's
        command.__signature__ = inspect.Signature([*own, *extra])  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in [*own, *extra]}
        return command

    return decorate


def _positive(option: str, value: float, *, allow_zero: bool = False) -> float:
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ParameterError(option, value, "must be ≥ 0" if allow_zero else "must be > 0")
    return value


def _mechanism(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in MECHANISMS:
        raise ParameterError("--mechanism", name, f"must be one of {', '.join(MECHANISMS)}")
    return key


def _species(o: dict, start_V: float) -> Species:
    """The species record from the CLI options (laboratory units → SI)."""
    mech = _mechanism(o["mechanism"])
    initially = o["initially"].strip().lower()
    if initially not in ("auto", "red", "ox"):
        raise ParameterError("--initially", o["initially"], "must be auto, red or ox")
    if initially == "auto":  # the form stable at the start potential is the one present
        initially = "ox" if start_V > o["e0"] else "red"
    if mech == "adsorbed":
        k0s = math.inf if o["k0_per_s"] is None else _positive("--k0-per-s", o["k0_per_s"])
        coverage = _positive("--coverage-mol-cm2", o["coverage"], allow_zero=True) * 1e4
        return Adsorbed(
            e0_V=o["e0"],
            coverage_mol_m2=coverage,
            n=o["n"],
            k0_per_s=k0s,
            alpha=o["alpha"],
            initially=initially,
        )
    conc = _positive("--concentration-mM", o["conc"], allow_zero=True)
    d = _positive("--diffusion-cm2-s", o["diff"]) * 1e-4
    dp = None if o["diff_p"] is None else _positive("--diffusion-product-cm2-s", o["diff_p"]) * 1e-4
    k0 = math.inf if o["k0"] is None else _positive("--k0-cm-s", o["k0"]) * 1e-2
    common = {"concentration_mol_m3": conc, "diffusion_m2_s": d, "initially": initially}
    if mech == "reversible":
        return Reversible(e0_V=o["e0"], n=o["n"], diffusion_product_m2_s=dp, **common)
    if mech in ("quasi-reversible", "irreversible"):
        if o["k0"] is None:
            raise ParameterError("--k0-cm-s", None, f"is required for mechanism {mech}")
        cls = QuasiReversible if mech == "quasi-reversible" else Irreversible
        return cls(e0_V=o["e0"], n=o["n"], k0_m_s=k0, alpha=o["alpha"], diffusion_product_m2_s=dp, **common)
    if mech == "ec":
        return EC(
            e0_V=o["e0"],
            n=o["n"],
            k0_m_s=k0,
            alpha=o["alpha"],
            kf_per_s=_positive("--kf-per-s", o["kf"], allow_zero=True),
            kb_per_s=_positive("--kb-per-s", o["kb"], allow_zero=True),
            diffusion_product_m2_s=dp,
            **common,
        )
    if o["e02"] is None:
        raise ParameterError("--e0-2-V", None, "is required for mechanism ee")
    k02 = math.inf if o["k02"] is None else _positive("--k0-2-cm-s", o["k02"]) * 1e-2
    return EE(
        e0_1_V=o["e0"],
        e0_2_V=o["e02"],
        k0_1_m_s=k0,
        k0_2_m_s=k02,
        alpha_1=o["alpha"],
        alpha_2=o["alpha"],
        diffusion_product_m2_s=dp,
        **common,
    )


def _cell(o: dict) -> Cell:
    return Cell(
        area_m2=_positive("--area-cm2", o["area"]) * 1e-4,
        temperature_K=_positive("--temperature-K", o["temperature"]),
        ru_ohm=_positive("--ru-ohm", o["ru"], allow_zero=True),
        cdl_F_m2=_positive("--cdl-uF-cm2", o["cdl"], allow_zero=True) * 1e-2,
    )


def _artifacts(o: dict) -> Artifacts:
    return Artifacts(
        noise_rms_A=_positive("--noise-A", o["noise"], allow_zero=True),
        pink_noise_rms_A=_positive("--pink-noise-A", o["pink"], allow_zero=True),
        mains_amplitude_A=_positive("--mains-A", o["mains"], allow_zero=True),
        mains_frequency_Hz=_positive("--mains-Hz", o["mains_hz"]),
        drift_A_per_s=o["drift"],
        background_linear_A_per_V=o["slope"],
        spike_count=int(_positive("--spikes", o["spikes"], allow_zero=True)),
        spike_amplitude_A=o["spike_a"],
        clip_A=None if o["clip"] is None else _positive("--clip-A", o["clip"]),
        adc_lsb_A=_positive("--adc-lsb-A", o["lsb"], allow_zero=True),
        fouling_per_cycle=o["fouling"],
        reference_drift_V_per_cycle=o["ref_drift"] * 1e-3,
    )


def _run(o: dict, waveform: CVWaveform | LSVWaveform | DPVWaveform, start_V: float) -> None:
    species = _species(o, start_V)
    cell = _cell(o)
    artifacts = _artifacts(o)
    rng = np.random.default_rng(o["seed"])
    measured, _, injected = simulate_measurement(species, waveform, cell, artifacts, rng=rng)
    write_csv(measured, o["out"])  # voltlens.io: atomic, potential_V,current_A,time_s,cycle
    extra = f" with {', '.join(a.kind for a in injected)}" if injected else ""
    typer.echo(
        f"wrote {measured.n_points} points ({measured.technique.value}, {type(species).__name__}{extra}) to {o['out']}"
    )


@app.command("cv")
@_with_options(_SHARED, _CYCLE_OPTIONS, _SEED)
def cv(
    out: Out,
    start_V: Start = 0.5,
    vertex_V: Vertex = -0.5,
    end_V: EndOpt = None,
    scan_rate_V_s: Rate = 0.1,
    step_mV: StepMv = 1.0,
    cycles: Cycles = 1,
    *,
    o: dict,
) -> None:
    """Cyclic voltammogram: start → vertex → start (or --end-V), --cycles times."""
    _positive("--scan-rate-V-s", scan_rate_V_s)
    _positive("--step-mV", step_mV)
    if cycles < 1:
        raise ParameterError("--cycles", cycles, "must be ≥ 1")
    waveform = CVWaveform(start_V, vertex_V, scan_rate_V_s, step_mV * 1e-3, cycles, end_V)
    _run(o, waveform, start_V)


@app.command("lsv")
@_with_options(_SHARED, _SEED)
def lsv(
    out: Out,
    start_V: Start = 0.5,
    end_V: End = -0.5,
    scan_rate_V_s: Rate = 0.1,
    step_mV: StepMv = 1.0,
    *,
    o: dict,
) -> None:
    """Linear sweep voltammogram: one sweep start → end."""
    _positive("--scan-rate-V-s", scan_rate_V_s)
    _positive("--step-mV", step_mV)
    waveform = LSVWaveform(start_V, end_V, scan_rate_V_s, step_mV * 1e-3)
    _run(o, waveform, start_V)


@app.command("dpv")
@_with_options(_SHARED, _SEED)
def dpv(
    out: Out,
    start_V: Start = -0.3,
    end_V: End = 0.3,
    step_mV: StepMv = 5.0,
    pulse_amplitude_mV: Amp = 50.0,
    pulse_width_ms: Width = 50.0,
    period_ms: Period = 500.0,
    sample_ms: Sample = 0.0,
    *,
    o: dict,
) -> None:
    """Differential pulse voltammogram: δi = i(pulse end) − i(before pulse) at each base potential."""
    for option, value in (
        ("--step-mV", step_mV),
        ("--pulse-amplitude-mV", pulse_amplitude_mV),
        ("--pulse-width-ms", pulse_width_ms),
        ("--period-ms", period_ms),
    ):
        _positive(option, value)
    _positive("--sample-ms", sample_ms, allow_zero=True)
    waveform = DPVWaveform(
        start_V,
        end_V,
        step_mV * 1e-3,
        pulse_amplitude_mV * 1e-3,
        pulse_width_ms * 1e-3,
        period_ms * 1e-3,
        sample_ms * 1e-3,
    )
    _run(o, waveform, start_V)


def register(root: typer.Typer) -> None:
    """Add ``simulate cv|lsv|dpv`` to the root command."""
    root.add_typer(app, name="simulate")
