"""Read voltammograms from instrument files and write them as plain CSV.

>>> from voltlens import io
>>> io.detect_format("scan.txt")            # from the content, never the file name
'chi'
>>> [v] = io.read("scan.txt")               # a list: a file may hold several measurements
>>> io.write_csv(v, "scan.csv")             # potential_V,current_A[,time_s][,cycle]

Formats (``fmt`` names): ``chi`` (CH Instruments text/CSV), ``biologic_mpt`` (EC-Lab ``.mpt``),
``biologic_txt`` (EC-Lab column export), ``biologic_mpr`` (EC-Lab binary), ``gamry`` (``.DTA``),
``palmsens`` (``.pssession``), ``pstrace_csv`` (PSTrace CSV), ``nova`` (Autolab NOVA ASCII),
``echemdb`` (frictionless data package: JSON + CSV), ``generic`` (any delimited numeric table).

Every record comes back in SI units (V, A or A/m², s, V/s, m²) with IUPAC current (anodic
positive); ``sign_convention`` says how the file was written, ``display_units`` the file's units
and ``metadata`` the rest (``format``, ``instrument``, ``sign_convention_basis``, header fields,
``skipped_measurements`` for EIS etc. found alongside).  Any problem with a file raises a
:class:`~voltlens.errors.VoltlensError` subclass whose one-line message names the file, the field
and the problem: :class:`~voltlens.errors.FormatError` (unrecognised or malformed),
:class:`~voltlens.errors.DataError` (empty, NaN, too few or too many points),
:class:`~voltlens.errors.UnsupportedMeasurementError` (EIS, chronoamperometry, OCP only).
At most :data:`MAX_POINTS` points are read from one file.
"""

from __future__ import annotations

import io as io_module
import json
import os
import struct
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..atomic import atomic_write
from ..errors import DataError, FormatError, VoltlensError
from ..model import Voltammogram
from ._table import sniff_table
from ._text import MAX_POINTS, detect_encoding, head_lines, read_head, reject_binary, source_of
from .biologic import looks_like_ec_lab_columns, read_biologic_mpt, read_biologic_txt
from .chi import looks_like_chi, read_chi
from .echemdb import is_data_package, package_for_csv, read_echemdb
from .gamry import read_gamry
from .generic import read_generic
from .mpr import read_mpr
from .nova import looks_like_nova, read_nova
from .palmsens import read_pssession, read_pstrace_csv

__all__ = ["FORMATS", "MAX_POINTS", "detect_format", "read", "read_many", "write_csv"]

_READERS: dict[str, Callable[[Path, str], list[Voltammogram]]] = {
    "chi": read_chi,
    "biologic_mpt": read_biologic_mpt,
    "biologic_txt": read_biologic_txt,
    "biologic_mpr": read_mpr,
    "gamry": read_gamry,
    "palmsens": read_pssession,
    "pstrace_csv": read_pstrace_csv,
    "nova": read_nova,
    "echemdb": read_echemdb,
    "generic": read_generic,
}
#: Format names accepted by ``read(..., fmt=)`` and returned by :func:`detect_format`.
FORMATS: tuple[str, ...] = tuple(_READERS)


def _detect(path: Path, source: str) -> str:
    head = read_head(path, source)
    if head.startswith(b"BIO-LOGIC MODULAR FILE"):
        return "biologic_mpr"
    reject_binary(head, source)
    encoding = detect_encoding(head, source)
    lines = head_lines(head, encoding)
    nonblank = [ln.strip() for ln in lines if ln.strip()]
    if not nonblank:
        raise DataError(source, "holds only blank lines", field="content")
    first = nonblank[0].lstrip("\ufeff")
    if first.startswith("EC-Lab ASCII FILE"):
        return "biologic_mpt"
    if first == "EXPLAIN" or first.startswith("EXPLAIN\t"):
        return "gamry"
    if first.startswith("{"):
        return _detect_json(path, source, first)
    if any(ln.startswith("Date and time measurement:") for ln in nonblank[:40]):
        return "pstrace_csv"
    if looks_like_chi(lines):
        return "chi"
    layout = sniff_table(lines, source)
    if layout.header is not None:
        if looks_like_ec_lab_columns(layout.header):
            return "biologic_txt"
        if looks_like_nova(layout.header):
            return "nova"
    if package_for_csv(path) is not None:
        return "echemdb"
    return "generic"


def _detect_json(path: Path, source: str, first: str) -> str:
    head = read_head(path, source, 1 << 16).decode(
        detect_encoding(read_head(path, source), source), errors="replace"
    )
    low = head.lower()
    if '"measurements"' in low and ("palmsens" in low or '"method' in low):
        return "palmsens"
    if '"resources"' in low:
        try:
            doc = json.loads(path.read_bytes().decode("utf-8-sig")) if path.stat().st_size < 1 << 26 else None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            doc = None
        if doc is None or is_data_package(doc):
            return "echemdb"
    raise FormatError(
        source,
        "is JSON but neither a PalmSens session nor an echemdb/frictionless data package",
        field="content",
    )


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format name of a file, decided from its content (the file name is never used)."""
    source = source_of(path)
    try:
        return _detect(Path(path), source)
    except VoltlensError:
        raise
    except (OSError, ValueError, IndexError, KeyError, TypeError, UnicodeError, RecursionError) as exc:
        raise FormatError(
            source, f"format could not be recognised ({type(exc).__name__}: {exc})", field="content"
        ) from None


def read(path: str | os.PathLike[str], *, fmt: str | None = None) -> list[Voltammogram]:
    """All voltammograms in a file (several for a PalmSens session), in SI units and IUPAC sign.

    ``fmt`` forces a format (one of :data:`FORMATS`); by default it is detected from the content.
    Measurements voltlens does not analyse are skipped and named in ``metadata``; a file holding
    only such measurements raises :class:`~voltlens.errors.UnsupportedMeasurementError`.
    """
    source = source_of(path)
    p = Path(path)
    if fmt is not None and fmt not in _READERS:
        raise FormatError(source, f"unknown format {fmt!r}; expected one of {list(FORMATS)}", field="fmt")
    name = fmt or detect_format(p)
    try:
        return _READERS[name](p, source)
    except VoltlensError:
        raise
    except MemoryError:
        raise DataError(source, "is too large to read into memory", field="size") from None
    except (
        OSError,
        ValueError,
        IndexError,
        KeyError,
        TypeError,
        UnicodeError,
        struct.error,
        RecursionError,
        OverflowError,
        AttributeError,
    ) as exc:
        raise FormatError(
            source, f"malformed {name} file ({type(exc).__name__}: {exc})", field="content"
        ) from None


def read_many(paths: Iterable[str | os.PathLike[str]]) -> list[Voltammogram]:
    """``read`` every path in order and return all records in one list (fails on the first bad file)."""
    out: list[Voltammogram] = []
    for path in paths:
        out.extend(read(path))
    return out


def _csv_columns(v: Voltammogram) -> tuple[list[str], list[np.ndarray]]:
    names = ["potential_V", "current_density_A_per_m2" if v.current_is_density else "current_A"]
    columns = [v.potential, v.current]
    if v.time is not None:
        names.append("time_s")
        columns.append(v.time)
    if v.cycle is not None:
        names.append("cycle")
        columns.append(v.cycle.astype(float))
    return names, columns


def write_csv(v: Voltammogram, path: str | os.PathLike[str]) -> None:
    """Write ``potential_V,current_A[,time_s][,cycle]`` (SI, IUPAC sign) atomically.

    The rows go to a temporary file in the target's directory which then replaces the target,
    so a reader never sees a half-written file (an existing target keeps its permissions, a new
    one gets 0644).  A current density is written as ``current_density_A_per_m2``.  Values use 15
    significant digits (relative round-trip error below 1e-15).
    """
    target = Path(path)
    source = source_of(path)
    names, columns = _csv_columns(v)
    fmt = ["%.15g"] * len(names)
    if v.cycle is not None:
        fmt[-1] = "%d"

    def write(handle: BinaryIO) -> None:
        text = io_module.TextIOWrapper(handle, encoding="utf-8", newline="\n")
        text.write(",".join(names) + "\n")
        for start in range(0, v.n_points, 100_000):
            block = np.column_stack([c[start : start + 100_000] for c in columns])
            np.savetxt(text, block, fmt=fmt, delimiter=",")
        text.flush()
        text.detach()

    try:
        atomic_write(target, write)
    except DataError as exc:
        raise DataError(source, exc.problem, field="path") from None
