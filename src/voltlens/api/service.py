"""What the REST endpoints and the MCP tools do, as plain synchronous functions.

Inputs become voltammograms (:func:`curves_from_uploads` for instrument files and plot images,
:func:`curves_from_arrays` for JSON arrays), every server limit is checked on the way, and the
results are the published contracts: :func:`analysis_report`, :func:`series_report`,
:func:`compare_report` and (in :mod:`voltlens.api.ask`) answers to questions.  Uploaded bytes are
written to a private temporary directory only because the instrument readers take paths.
"""

from __future__ import annotations

import functools
import math
import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analyze.contract import AnalysisReport, QuantityOut, report_of
from ..analyze.pipeline import (
    AnalysisOptions,
    as_voltammograms,
    find_digitizer,
    run_analysis,
    skipped_measurements,
)
from ..errors import DataError, DigitizeError, ParameterError, UnsupportedMeasurementError, VoltlensError
from ..model import SignConvention, Technique, Voltammogram
from .errors import ImageUnavailableError, LimitError
from .models import CompareReport, CompareRow, CurveIn
from .settings import ApiSettings

__all__ = [
    "IMAGE_SUFFIXES",
    "Upload",
    "analysis_report",
    "compare_report",
    "curves_from_arrays",
    "curves_from_uploads",
    "is_image",
    "options_of",
    "series_report",
]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: its name as the caller gave it, its bytes and its declared content type."""

    name: str
    data: bytes
    content_type: str | None = None


def options_of(model) -> AnalysisOptions:  # type: ignore[no-untyped-def]
    """The analysis options of a request model (AnalyzeRequest and its subclasses)."""
    return AnalysisOptions(
        concentrations=None if model.concentrations is None else tuple(model.concentrations),
        scan_rates=None if model.scan_rates is None else tuple(model.scan_rates),
        concentration_unit=model.concentration_unit,
        diffusion_cm2_s=model.diffusion_cm2_s,
        area_cm2=model.area_cm2,
        concentration_mM=model.concentration_mM,
    )


# ----------------------------------------------------------------------------------------------
# inputs


def is_image(upload: Upload) -> bool:
    """Whether an upload is a picture (by its first bytes, its content type or its name)."""
    head = upload.data[:12]
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return True
    if (upload.content_type or "").lower().startswith("image/"):
        return True
    return Path(upload.name).suffix.lower() in IMAGE_SUFFIXES


def _safe_name(name: str, k: int) -> str:
    base = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip("._") or f"upload{k}"
    return base[:100]


def _check_points(curves: Sequence[Voltammogram], settings: ApiSettings) -> None:
    for v in curves:
        if v.n_points > settings.max_points:
            raise LimitError(
                v.source, f"has {v.n_points} points, more than this server's limit of {settings.max_points}"
            )


def _image_size(data: bytes, source: str) -> tuple[int, int]:
    import io as _io

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(_io.BytesIO(data)) as im:
                return im.size
    except Image.DecompressionBombError:
        raise LimitError(source, "claims an image far larger than any plot (decompression bomb)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise DigitizeError(source, f"is not a readable image ({type(exc).__name__}: {exc})") from None


def _read_image(upload: Upload, path: Path, settings: ApiSettings) -> list[Voltammogram]:
    w, h = _image_size(upload.data, upload.name)
    if w * h > settings.max_image_pixels:
        raise LimitError(
            upload.name,
            f"is {w}×{h} = {w * h} pixels, more than this server's limit of {settings.max_image_pixels}",
            field="pixels",
        )
    reader = find_digitizer()
    if reader is None:
        raise ImageUnavailableError(
            upload.name,
            "is an image, but image analysis is unavailable: this installation has no plot digitizer "
            "(voltlens.digitize); send the data as an instrument file or as arrays",
        )
    try:
        from ..digitize.image import load_image  # validates the whole file (truncation, corruption)

        load_image(upload.data, source=upload.name, max_pixels=settings.max_image_pixels)
    except ImportError:
        pass
    try:
        return as_voltammograms(reader(path), upload.name)
    except VoltlensError:
        raise
    except Exception as exc:  # the digitizer must never turn a user's image into a 500
        raise DigitizeError(upload.name, f"could not be digitised ({type(exc).__name__}: {exc})") from None


@functools.cache
def _scratch_root() -> str | None:
    """Where uploads are spooled: RAM-backed /dev/shm when writable (a directory there costs ~0.1 ms,
    one on a disk-backed /tmp several ms per request), else the system default."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def curves_from_uploads(
    uploads: Sequence[Upload], settings: ApiSettings
) -> tuple[list[Voltammogram], list[tuple[str, str]]]:
    """Every voltammogram in the uploaded files and images, and (file, reason) for what was skipped."""
    from .. import io

    if not uploads:
        raise DataError("files", "no file was sent", field="files")
    if len(uploads) > settings.max_files:
        raise LimitError(
            "files", f"{len(uploads)} files sent, the limit is {settings.max_files}", field="files"
        )
    curves: list[Voltammogram] = []
    skipped: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="voltlens-api-", dir=_scratch_root()) as tmp:
        used: set[str] = set()
        for k, up in enumerate(uploads):
            name = _safe_name(up.name, k)
            while name in used:
                name = f"{k}_{name}"
            used.add(name)
            path = Path(tmp) / name
            path.write_bytes(up.data)
            label = up.name or name
            if not up.data:
                raise DataError(label, "is empty", field="files")
            try:
                found = _read_image(up, path, settings) if is_image(up) else io.read(path)
            except UnsupportedMeasurementError as exc:
                skipped.append((label, exc.problem))
                continue
            except VoltlensError as exc:
                raise _renamed(exc, str(path), label) from None
            except Exception as exc:  # a reader bug must still be one line naming the file
                raise DataError(label, f"could not be read ({type(exc).__name__}: {exc})") from None
            for what in dict.fromkeys(w for v in found for w in skipped_measurements(v)):
                skipped.append((label, f"also holds {what}"))
            curves.extend(v.replace(source=label) if v.source == str(path) else v for v in found)
    if not curves:
        raise DataError(
            ", ".join(u.name for u in uploads), "no voltammogram to analyse (every input was skipped)"
        )
    _check_points(curves, settings)
    if len(curves) > settings.max_curves:
        raise LimitError("files", f"hold {len(curves)} curves, the limit is {settings.max_curves}")
    return curves, skipped


def _renamed(exc: VoltlensError, path: str, label: str) -> VoltlensError:
    """The same error naming the file as the caller called it, not by its temporary path."""
    if isinstance(exc, DataError) and exc.source == path and type(exc) is not LimitError:
        try:
            return type(exc)(label, exc.problem, field=exc.field)
        except TypeError:
            return exc
    if isinstance(exc, DigitizeError) and exc.source == path:
        return DigitizeError(label, exc.problem)
    return exc


def _scale(unit: str, quantities: tuple[str, ...], field: str) -> tuple[float, bool]:
    from ..units import parse_unit

    u = parse_unit(unit)
    if u.quantity not in quantities:
        raise ParameterError(field, unit, f"a unit of {' or '.join(quantities)}")
    return u.scale, u.quantity == "current_density"


def curves_from_arrays(curves: Sequence[CurveIn], settings: ApiSettings) -> list[Voltammogram]:
    """Voltammograms from arrays sent as JSON (units converted to SI, current to IUPAC sign)."""
    if len(curves) > settings.max_curves:
        raise LimitError(
            "curves", f"{len(curves)} curves sent, the limit is {settings.max_curves}", field="curves"
        )
    out = []
    for k, c in enumerate(curves):
        where = f"curves[{k}]"
        n = len(c.potential)
        if n > settings.max_points:
            raise LimitError(where, f"has {n} points, more than this server's limit of {settings.max_points}")
        if len(c.current) != n:
            raise DataError(
                where, f"potential has {n} points but current has {len(c.current)}", field="current"
            )
        e_scale, _ = _scale(c.potential_unit, ("potential",), f"{where}.potential_unit")
        i_scale, density = _scale(c.current_unit, ("current", "current_density"), f"{where}.current_unit")
        current = np.asarray(c.current, dtype=float) * i_scale
        if c.sign_convention == "US":
            current = -current
        out.append(
            Voltammogram(
                potential=np.asarray(c.potential, dtype=float) * e_scale,
                current=current,
                technique=Technique(c.technique),
                scan_rate=c.scan_rate,
                cycle=None if c.cycle is None else np.asarray(c.cycle, dtype=np.int64),
                area_m2=None if c.area_cm2 is None else c.area_cm2 * 1e-4,
                reference_electrode=c.reference_electrode,
                sign_convention=SignConvention(c.sign_convention),
                current_is_density=density,
                display_units={"potential": c.potential_unit, "current": c.current_unit},
                metadata=dict(c.metadata),
                source=c.source if c.source != "<array>" else f"curve {k}",
            )
        )
    return out


# ----------------------------------------------------------------------------------------------
# results


def analysis_report(
    curves: Sequence[Voltammogram], options: AnalysisOptions, skipped: Sequence[tuple[str, str]] = ()
) -> AnalysisReport:
    """The analysis contract for the curves (what ``voltlens analyze --json`` prints)."""
    return report_of(run_analysis(curves, options, skipped=skipped))


def series_report(
    curves: Sequence[Voltammogram],
    options: AnalysisOptions,
    kind: str,
    skipped: Sequence[tuple[str, str]] = (),
) -> AnalysisReport:
    """The analysis contract with a scan-rate or concentration study; a clear error when none can be made."""
    if len(curves) < 2:
        raise DataError("curves", f"a {kind} series needs at least two curves, got {len(curves)}")
    if kind == "concentration" and options.concentrations is None:
        raise ParameterError("concentrations", None, "one concentration per curve for a concentration series")
    if kind == "scan_rate" and options.concentrations is not None:
        raise ParameterError(
            "concentrations", list(options.concentrations), "no concentrations in a scan-rate series"
        )
    report = analysis_report(curves, options, skipped)
    if report.series is None or report.series.kind != kind:
        hint = (
            " (pass scan_rates, one per curve, or curves stating different scan rates)"
            if kind == "scan_rate"
            else ""
        )
        raise DataError("curves", f"no {kind} series could be formed from these curves{hint}")
    return report


def _main_peak(curve) -> int | None:  # type: ignore[no-untyped-def]
    """Index of the largest confident peak of the curve's first cycle."""
    if not curve.peaks:
        return None
    first = min(p.cycle for p in curve.peaks)
    cands = [
        k
        for k, p in enumerate(curve.peaks)
        if p.cycle == first and p.current.value is not None and not p.shoulder
    ]
    if not cands:
        return None
    return max(cands, key=lambda k: (curve.peaks[k].confidence >= 0.5, abs(curve.peaks[k].current.value)))


def _diff(a: QuantityOut | None, b: QuantityOut | None) -> QuantityOut | None:
    if a is None or b is None or a.value is None or b.value is None:
        return None
    ua, ub = a.uncertainty, b.uncertainty
    u = math.hypot(ua, ub) if ua is not None and ub is not None else None
    return QuantityOut(value=a.value - b.value, unit=a.unit, uncertainty=u)


def _ratio(a: QuantityOut | None, b: QuantityOut | None) -> QuantityOut | None:
    if a is None or b is None or a.value is None or not b.value:
        return None
    r = a.value / b.value
    u = None
    if a.uncertainty is not None and b.uncertainty is not None and a.value:
        u = abs(r) * math.hypot(a.uncertainty / a.value, b.uncertainty / b.value)
    return QuantityOut(value=r, unit="1", uncertainty=u)


def compare_report(report: AnalysisReport, reference: int = 0) -> CompareReport:
    """Each curve's main peak, E½ and ΔEp side by side, and how far each differs from the reference."""
    if not 0 <= reference < len(report.curves):
        raise ParameterError("reference", reference, f"a curve index 0…{len(report.curves) - 1}")
    mains = [_main_peak(c) for c in report.curves]
    ref_curve, ref_k = report.curves[reference], mains[reference]
    ref_peak = None if ref_k is None else ref_curve.peaks[ref_k]
    rows = []
    for i, (curve, k) in enumerate(zip(report.curves, mains, strict=True)):
        peak = None if k is None else curve.peaks[k]
        couple = max(curve.couples, key=lambda c: c.confidence) if curve.couples else None
        same_kind = peak is not None and ref_peak is not None and peak.direction == ref_peak.direction
        rows.append(
            CompareRow(
                curve=i,
                source=curve.source,
                technique=curve.technique,
                n_peaks=len(curve.peaks),
                main_peak_potential=None if peak is None else peak.potential,
                main_peak_current=None if peak is None else peak.current,
                E_half=None if couple is None else couple.E_half,
                delta_Ep=None if couple is None else couple.delta_Ep,
                peak_shift_vs_reference=_diff(peak.potential, ref_peak.potential) if same_kind else None,
                current_ratio_vs_reference=_ratio(peak.current, ref_peak.current) if same_kind else None,
                anomalies=[a.kind for a in curve.anomalies],
            )
        )
    return CompareReport(
        reference=reference, rows=rows, summary=_compare_summary(rows, reference), analysis=report
    )


def _compare_summary(rows: list[CompareRow], reference: int) -> str:
    parts = []
    for r in rows:
        if r.curve == reference:
            continue
        if r.peak_shift_vs_reference is None or r.current_ratio_vs_reference is None:
            parts.append(f"curve {r.curve} ({r.source}): no peak comparable with the reference")
            continue
        shift_mV = r.peak_shift_vs_reference.value * 1e3
        ratio = r.current_ratio_vs_reference.value
        parts.append(
            f"curve {r.curve} ({r.source}): main peak shifted {shift_mV:+.1f} mV, current ×{ratio:.3g}"
        )
    head = f"Compared with curve {reference} ({rows[reference].source})"
    return head + (": " + "; ".join(parts) + "." if parts else ": no other curve.")
