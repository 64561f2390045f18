"""``voltlens convert FILE --out OUT.csv``: any supported instrument file → plain SI CSV.

Writes ``potential_V,current_A[,time_s][,cycle]`` (IUPAC sign).  A file holding several
measurements (a PalmSens session) gives ``OUT_1.csv``, ``OUT_2.csv``, ... unless ``--measurement``
picks one.  Measurements voltlens does not analyse (EIS, ...) are named on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ParameterError
from ..io import FORMATS, read, write_csv

__all__ = ["convert", "register"]


def _targets(out: Path, count: int) -> list[Path]:
    if count == 1:
        return [out]
    suffix = out.suffix or ".csv"
    return [out.with_name(f"{out.stem}_{k}{suffix}") for k in range(1, count + 1)]


def convert(
    file: Annotated[
        Path,
        typer.Argument(help="Instrument file (CHI, EC-Lab .mpt/.mpr, Gamry .DTA, PalmSens, NOVA, CSV...)."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help=f"Force the input format: {', '.join(FORMATS)}.")
    ] = None,
    measurement: Annotated[
        int | None, typer.Option("--measurement", "-m", help="Write only this measurement (1-based).", min=1)
    ] = None,
) -> None:
    """Convert an instrument file to potential_V,current_A[,time_s][,cycle] CSV (SI units, IUPAC sign)."""
    records = read(file, fmt=fmt)
    if measurement is not None:
        if measurement > len(records):
            raise ParameterError("--measurement", measurement, f"between 1 and {len(records)} for {file}")
        records = [records[measurement - 1]]
    for target, v in zip(_targets(out, len(records)), records, strict=True):
        write_csv(v, target)
        cycles = f", {v.n_cycles} cycles" if v.cycle is not None else ""
        typer.echo(
            f"wrote {target} ({v.technique.value}, {v.n_points} points{cycles}, from {v.metadata.get('format')})"
        )
    note = records[0].metadata.get("skipped_note") if records else None
    if note:
        sys.stderr.write(f"voltlens: note: {file} also {note}; skipped\n")


def register(app: typer.Typer) -> None:
    """Add the ``convert`` command to the ``voltlens`` application."""
    app.command("convert")(convert)
