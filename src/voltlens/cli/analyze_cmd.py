"""``voltlens analyze FILE...``: peaks, couples, anomalies, series and an interpretation.

A readable table by default; ``--json`` prints exactly the analysis contract on stdout (see
``voltlens schema analysis``) and nothing else; ``--plot`` writes an overlay of the data, the
baselines and the peaks with their error bars.  Files holding measurements voltlens does not
analyse (EIS …) are named on stderr and skipped.  Any problem with an input becomes one line
naming the file and exit status 2.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import DataError, ParameterError, UnsupportedMeasurementError, VoltlensError
from ..model import Voltammogram

PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def register(app: typer.Typer) -> None:
    app.command("analyze", help="Analyse voltammograms: peaks, couples, anomalies, series, interpretation.")(
        analyze_command
    )


def _number_list(option: str, text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise ParameterError(option, text, "comma-separated numbers, e.g. 0,0.1,0.2") from None
    if not values or not all(math.isfinite(x) for x in values):
        raise ParameterError(option, text, "comma-separated finite numbers, e.g. 0,0.1,0.2")
    return values


def _positive(option: str, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ParameterError(option, value, "a positive number")
    return value


def _warn(message: str) -> None:
    sys.stderr.write(f"voltlens: {message}\n")


IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def is_image(path: Path) -> bool:
    """Whether the file's first bytes are those of an image format (content, not the name)."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _digitize(path: Path):
    """The digitized figure of a plot image, or one clear line naming the file when the digitizer
    (the ``image`` extra) is not installed."""
    from ..analyze.pipeline import find_digitizer

    reader = find_digitizer()
    if reader is None:
        raise DataError(
            str(path),
            "is an image; reading plots needs the digitizer (pip install 'voltlens[image]')",
        )
    return reader(path)


def read_inputs(
    paths: list[Path], *, figures: dict[Path, object] | None = None
) -> tuple[list[Voltammogram], list[tuple[str, str]]]:
    """Every voltammogram in ``paths``, and (file, reason) for each file or measurement skipped.

    Plot images are digitized; their figures are stored in ``figures`` (path → figure) when given.
    """
    from .. import io
    from ..analyze.pipeline import as_voltammograms, skipped_measurements

    curves: list[Voltammogram] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        name = str(path)
        if not path.exists():
            raise DataError(name, "no such file")
        if path.is_dir():
            raise DataError(name, "is a directory, not a data file")
        try:
            if is_image(path):
                figure = _digitize(path)
                found = as_voltammograms(figure, name)
                if figures is not None:
                    figures[path] = figure
            else:
                found = io.read(path)
        except UnsupportedMeasurementError as exc:
            _warn(f"skipping {name}: {exc.problem}")
            skipped.append((name, exc.problem))
            continue
        except VoltlensError:
            raise
        except Exception as exc:  # a reader bug must still be one line naming the file
            raise DataError(name, f"could not be read ({type(exc).__name__}: {exc})") from None
        for what in dict.fromkeys(w for v in found for w in skipped_measurements(v)):
            _warn(f"{name}: also holds {what}, not analysed")
            skipped.append((name, f"also holds {what}"))
        curves.extend(found)
    if not curves:
        raise DataError(
            ", ".join(str(p) for p in paths), "no voltammogram to analyse (every input was skipped)"
        )
    return curves, skipped


def analyze_command(
    files: Annotated[
        list[Path], typer.Argument(help="instrument files or CSV tables (several make a series)")
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="print the analysis contract as JSON on stdout, nothing else")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="write an overlay of data, baselines and peaks (.png, .svg, .pdf)"),
    ] = None,
    concentrations: Annotated[
        str | None, typer.Option("--concentrations", help="one per curve, comma-separated; 0 marks a blank")
    ] = None,
    concentration_unit: Annotated[
        str, typer.Option("--concentration-unit", help="unit of --concentrations (used in slope and LOD)")
    ] = "mM",
    scan_rates: Annotated[
        str | None, typer.Option("--scan-rates", help="V/s, one per curve, comma-separated")
    ] = None,
    diffusion_cm2_s: Annotated[
        float | None, typer.Option("--diffusion-cm2-s", help="diffusion coefficient D (cm²/s), for k0")
    ] = None,
    area_cm2: Annotated[float | None, typer.Option("--area-cm2", help="electrode area (cm²)")] = None,
    concentration_mM: Annotated[
        float | None, typer.Option("--concentration-mM", help="bulk concentration (mM), for Randles–Ševčík D")
    ] = None,
    backend: Annotated[
        str,
        typer.Option("--backend", help="engine (built in), openai, transformers or hybrid (VLM + engine)"),
    ] = "engine",
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="model name (openai) or path (transformers)")
    ] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="longest VLM answer, in tokens")] = 2048,
) -> None:
    if backend != "engine":
        _analyze_with_vlm(
            files,
            backend=backend,
            base_url=base_url,
            model=model,
            max_tokens=max_tokens,
            json_output=json_output,
        )
        return
    from ..analyze.contract import report_of, to_json
    from ..analyze.pipeline import AnalysisOptions, run_analysis

    conc = _number_list("--concentrations", concentrations)
    rates = _number_list("--scan-rates", scan_rates)
    if conc is not None and rates is not None:
        raise ParameterError("--scan-rates", scan_rates, "either --concentrations or --scan-rates, not both")
    options = AnalysisOptions(
        concentrations=None if conc is None else tuple(conc),
        scan_rates=None if rates is None else tuple(rates),
        concentration_unit=concentration_unit,
        diffusion_cm2_s=_positive("--diffusion-cm2-s", diffusion_cm2_s),
        area_cm2=_positive("--area-cm2", area_cm2),
        concentration_mM=_positive("--concentration-mM", concentration_mM),
    )
    if plot is not None and plot.suffix.lower() not in PLOT_FORMATS:
        raise ParameterError("--plot", str(plot), f"a file name ending in {', '.join(PLOT_FORMATS)}")
    figures: dict[Path, object] = {}
    curves, skipped = read_inputs(files, figures=figures)
    result = run_analysis(curves, options, skipped=skipped)

    if plot is not None:
        if len(figures) == 1 and len(files) == 1:
            write_overlay(result, *next(iter(figures.items())), plot)
        else:
            write_plot(result, plot)
    if json_output:
        sys.stdout.write(to_json(result) + "\n")
        return
    print_tables(report_of(result))
    if plot is not None:
        sys.stderr.write(f"voltlens: wrote {plot}\n")


def _analyze_with_vlm(
    files: list[Path],
    *,
    backend: str,
    base_url: str | None,
    model: str | None,
    max_tokens: int,
    json_output: bool,
) -> None:
    """One figure read by a vision-language model (or VLM + engine for ``hybrid``)."""
    import json

    from ..analyze.contract import AnalysisReport
    from ..vlm import analyze_image_with_backend

    if len(files) != 1 or not files[0].is_file() or not is_image(files[0]):
        raise ParameterError("--backend", backend, "exactly one plot image when a VLM backend is used")
    data = analyze_image_with_backend(
        files[0], backend=backend, base_url=base_url, model=model, max_tokens=max_tokens
    )
    if json_output and data.get("vlm", {}).get("status") != "error":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        return
    status = data.get("vlm", {}).get("status", "ok")
    if status == "error":  # the server could not be reached or failed: nothing was read
        raise DataError(str(files[0]), f"the {backend} backend failed: {data['vlm'].get('problems')}")
    if status != "ok":
        _warn(
            f"{files[0]}: the {backend} backend's answer was {status}: {data.get('vlm', {}).get('problems')}"
        )
    print_tables(AnalysisReport.model_validate(data))


# ----------------------------------------------------------------------------------------------
# human-readable output


def _fmt(q, scale: float = 1.0, digits: int = 4) -> str:
    if q is None or q.value is None:
        return "—"
    text = f"{q.value * scale:.{digits}g}"
    if q.uncertainty is not None:
        text += f" ± {q.uncertainty * scale:.2g}"
    return text


def print_tables(report) -> None:
    """Rich tables of a report on stdout."""
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    console = Console(soft_wrap=False)
    for i, curve in enumerate(report.curves):
        rate = "" if curve.scan_rate is None else f", {curve.scan_rate.value:g} V/s"
        console.rule(f"[bold]{i}: {curve.source}[/bold] ({curve.technique}{rate})")
        unit = "µA" if curve.current_unit == "A" else "µA/cm²"
        if curve.peaks:
            t = Table(title="peaks", title_justify="left")
            for col in ("#", "direction", "cycle", "E / V", f"ip / {unit}", "confidence"):
                t.add_column(col)
            for k, p in enumerate(curve.peaks):
                t.add_row(
                    str(k),
                    p.direction,
                    str(p.cycle),
                    _fmt(p.potential),
                    _fmt(p.current, 1e6),
                    f"{p.confidence:.2f}",
                )
            console.print(t)
        else:
            console.print("no peaks found")
        if curve.couples:
            t = Table(title="couples", title_justify="left")
            for col in ("peaks", "E½ / V", "ΔEp / mV", "|ipa/ipc|", "reversibility", "confidence"):
                t.add_column(col)
            for c in curve.couples:
                t.add_row(
                    f"{c.anodic_peak},{c.cathodic_peak}",
                    _fmt(c.E_half),
                    _fmt(c.delta_Ep, 1e3, 3),
                    _fmt(c.current_ratio, 1.0, 3),
                    c.reversibility,
                    f"{c.confidence:.2f}",
                )
            console.print(t)
        if curve.anomalies:
            t = Table(title="anomalies", title_justify="left")
            for col in ("kind", "confidence", "detail"):
                t.add_column(col)
            for a in curve.anomalies:
                t.add_row(a.kind, f"{a.confidence:.2f}", a.detail)
            console.print(t)
    s = report.series
    if s is not None:
        t = Table(title=f"series: {s.kind}", title_justify="left")
        t.add_column("quantity")
        t.add_column("value")
        if s.kind == "scan_rate":
            t.add_row("log|ip| vs log v slope", _fmt(s.log_log_slope, 1.0, 3))
            t.add_row("95% CI", f"{s.log_log_slope_ci.low:.3g} … {s.log_log_slope_ci.high:.3g}")
            t.add_row("regime", f"{s.regime} ({s.regime_confidence:.2f})")
            if s.diffusion_coefficient is not None:
                t.add_row("D (Randles–Ševčík) / cm²/s", _fmt(s.diffusion_coefficient, 1.0, 3))
            if s.alpha_n is not None:
                t.add_row("αn", _fmt(s.alpha_n, 1.0, 3))
            if s.delta_Ep_trend is not None:
                t.add_row("ΔEp trend", s.delta_Ep_trend)
        else:
            t.add_row(f"slope / {s.slope.unit}", _fmt(s.slope, 1.0, 4))
            t.add_row(f"intercept / {s.intercept.unit}", _fmt(s.intercept, 1.0, 3))
            t.add_row("R²", f"{s.r_squared.value:.5f}" if s.r_squared.value is not None else "—")
            t.add_row(
                "linear range",
                f"{s.linear_range.low.value:g} … {s.linear_range.high.value:g} {s.linear_range.low.unit}",
            )
            for dl in s.detection_limits:
                head = " (headline)" if dl.name == s.headline_lod else ""
                loq = "" if dl.loq is None else f", LOQ {_fmt(dl.loq, 1.0, 3)}"
                t.add_row(f"{dl.definition}{head}", f"LOD {_fmt(dl.lod, 1.0, 3)}{loq} {dl.lod.unit}")
        console.print(t)
    console.print(Panel(report.interpretation, title="interpretation", title_align="left"))


# ----------------------------------------------------------------------------------------------
# overlay plot


def write_plot(result, path: Path) -> None:
    """Data, baselines and peaks (with error bars) of every curve, written atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    density = any(c.voltammogram.current_is_density for c in result.curves)
    peak_max = max((abs(v) for c in result.curves for v in c.voltammogram.current), default=1.0) or 1.0
    scale, unit = _plot_scale(peak_max * (1e-4 if density else 1.0), "A/cm²" if density else "A")
    conv = (1e-4 if density else 1.0) / scale  # SI (A or A/m²) → plotted unit
    colors = [f"C{k % 10}" for k in range(len(result.curves))]
    for k, curve in enumerate(result.curves):
        v = curve.voltammogram
        label = os.path.basename(v.source) if len(result.curves) > 1 else None
        ax.plot(v.potential, v.current * conv, color=colors[k], lw=1.0, label=label)
        for p in curve.peaks:
            if p.baseline_potential_V.size:
                ax.plot(p.baseline_potential_V, p.baseline_current * conv, color=colors[k], lw=0.8, ls="--")
            top = (p.baseline_at_peak + p.height.value) * conv
            xerr = p.potential.uncertainty if math.isfinite(p.potential.uncertainty) else 0.0
            yerr = p.height.uncertainty * conv if math.isfinite(p.height.uncertainty) else 0.0
            ax.vlines(p.potential.value, p.baseline_at_peak * conv, top, color=colors[k], lw=0.6, alpha=0.7)
            ax.errorbar(
                p.potential.value,
                top,
                xerr=xerr,
                yerr=yerr,
                fmt="o",
                ms=4,
                color=colors[k],
                ecolor="k",
                elinewidth=0.8,
                capsize=2,
            )
    reference = result.curves[0].voltammogram.reference_electrode
    ax.set_xlabel("E / V" + (f" vs {reference}" if reference else ""))
    ax.set_ylabel(f"{'j' if density else 'i'} / {unit}")
    ax.axhline(0.0, color="0.7", lw=0.5)
    if len(result.curves) > 1:
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fmt = PLOT_FORMATS[path.suffix.lower()]
    _atomic_save(path, lambda handle: fig.savefig(handle, format=fmt))


def write_overlay(result, image_path: Path, figure, path: Path) -> None:
    """The recovered curves and the analysed peaks drawn over the original image, written atomically."""
    from PIL import Image

    from ..digitize import load_image, overlay

    image = load_image(image_path, source=str(image_path))
    peaks = [(p.potential.value, p.baseline_at_peak + p.height.value) for c in result.curves for p in c.peaks]
    drawn = Image.fromarray(overlay(image, figure, peaks=peaks))
    fmt = PLOT_FORMATS[path.suffix.lower()]
    if fmt != "png":
        raise ParameterError("--plot", str(path), "a .png file for an image overlay")
    _atomic_save(path, lambda handle: drawn.save(handle, format="PNG"))


def _atomic_save(path: Path, save) -> None:
    from ..atomic import atomic_write

    atomic_write(path, save, field="--plot")


def _plot_scale(max_abs: float, base: str) -> tuple[float, str]:
    for prefix, s in (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12)):
        if max_abs >= s:
            return s, prefix + base
    return 1e-12, "p" + base
