"""Generic delimited text: CSV, TSV, ``;``-separated or whitespace columns, with or without a header.

The first run of at least three numeric lines is the table; the line above it, when it has as
many fields, names the columns.  Units come from the names (``Potential/V``, ``E [mV]``,
``I/µA``, ``I (A)``, ``j / mA cm-2``, ``<I>/mA``, ``U [V]``, ``potential_V``); a reference
electrode from ``vs.`` in the potential's name.  Without units, V, A and s are assumed (and
listed in ``metadata["units_assumed"]``).  Without a header, two columns are (E, I); three or
more are (t, E, I) when the first column never decreases, else (E, I, ignored...).

The sign convention is not stated by such files: it is inferred from the data and IUPAC is
assumed when the evidence is weak — except for files written by :func:`voltlens.io.write_csv`
(header ``potential_V,current_A...``), which are IUPAC by contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..model import SignConvention, Voltammogram
from ._build import build_voltammogram
from ._columns import Header, choose_columns, parse_unit_or_none, split_header
from ._table import TableLayout, read_columns, sniff_table
from ._text import check_row_count, detect_encoding, head_lines, read_head

__all__ = ["VOLTLENS_CSV_COLUMNS", "read_generic", "table_roles"]

VOLTLENS_CSV_COLUMNS = ("potential_V", "current_A", "current_density_A_per_m2", "time_s", "cycle")


def table_roles(layout: TableLayout, source: str) -> tuple[list[Header], dict[str, int], list[str]]:
    """(headers, column index per role, roles whose units were assumed) for a table with a header row."""
    assert layout.header is not None
    headers = [split_header(h) for h in layout.header]
    roles = choose_columns(headers)
    found = [r for r in ("potential", "current", "density") if r in roles]
    if "potential" not in roles or not ({"current", "density"} & set(found)):
        missing = "potential" if "potential" not in roles else "current"
        raise FormatError(
            source,
            f"no {missing} column among the columns {layout.header} (expected names such as "
            "'Potential/V', 'E [mV]', 'I/µA', 'Current (A)', 'j / mA cm-2')",
            field="columns",
        )
    assumed = [
        r
        for r in ("potential", "current", "density", "time")
        if r in roles and headers[roles[r]].unit is None
    ]
    return (
        headers,
        {k: v for k, v in roles.items() if k in ("potential", "current", "density", "time", "cycle")},
        assumed,
    )


def _headerless(
    path: Path, encoding: str, layout: TableLayout, source: str
) -> tuple[np.ndarray, dict[str, int]]:
    data = read_columns(path, encoding, layout, [0, 1, 2], ["column 1", "column 2", "column 3"], source)
    first = data[:, 0]
    if (
        data.shape[0] >= 3
        and np.all(np.diff(first) >= 0)
        and first[-1] > first[0]
        and np.any(np.diff(data[:, 1]) < 0)
    ):
        return data, {"time": 0, "potential": 1, "current": 2}
    return data, {"potential": 0, "current": 1}


def read_generic(
    path: Path,
    source: str,
    *,
    fmt: str = "generic",
    metadata: dict[str, Any] | None = None,
    sign_convention: SignConvention | None = None,
    sign_basis: str = "stated by the file",
) -> list[Voltammogram]:
    """Read a delimited numeric table; see the module docstring for the rules."""
    head = read_head(path, source, 1 << 18)
    encoding = detect_encoding(head, source)
    lines = head_lines(head, encoding)
    layout = sniff_table(lines, source)
    check_row_count(path, source)
    units: dict[str, Any] = {}
    headers: list[Header] | None = None
    if layout.header is None:  # (E, I) or, when the first column never decreases, (t, E, I)
        if layout.n_columns == 2:
            data = read_columns(path, encoding, layout, [0, 1], ["column 1", "column 2"], source)
            roles = {"potential": 0, "current": 1}
        else:
            data, roles = _headerless(path, encoding, layout, source)
        col = {r: data[:, c] for r, c in roles.items()}
        labels = {r: f"column {c + 1}" for r, c in roles.items()}
        assumed = [r for r in ("potential", "current", "time") if r in roles]
    else:
        headers, roles, assumed = table_roles(layout, source)
        order = [r for r in ("potential", "current", "density", "time", "cycle") if r in roles]
        usecols = [roles[r] for r in order]
        names = [layout.header[c] for c in usecols]
        data = read_columns(path, encoding, layout, usecols, names, source)
        col = {r: data[:, k] for k, r in enumerate(order)}
        labels = {r: names[k] for k, r in enumerate(order)}
        units = {r: parse_unit_or_none(headers[roles[r]].unit) for r in order}
    cur_role = "current" if "current" in col else "density"
    if cur_role == "density" and units.get("density") is None:
        units["density"] = parse_unit_or_none("A/m2")
    reference = headers[roles["potential"]].reference if headers else None
    meta: dict[str, Any] = dict(metadata or {})
    preamble = [
        ln.strip()
        for ln in lines[: layout.header_line if layout.header_line is not None else layout.start]
        if ln.strip()
    ]
    if preamble:
        meta.setdefault("preamble", preamble[:60])
    convention = sign_convention
    if (
        convention is None
        and layout.header is not None
        and layout.header[0] == "potential_V"
        and layout.header[1] in ("current_A", "current_density_A_per_m2")
    ):
        convention, sign_basis = SignConvention.IUPAC, "voltlens CSV (IUPAC by contract)"
        meta["written_by"] = "voltlens.io.write_csv"
    if cur_role == "density":
        labels["current"] = labels.pop("density")
    return [
        build_voltammogram(
            source=source,
            fmt=fmt,
            potential=col["potential"],
            current=col[cur_role],
            potential_unit=units.get("potential"),
            current_unit=units.get(cur_role),
            labels=labels,
            time=col.get("time"),
            time_unit=units.get("time"),
            cycle=col.get("cycle"),
            reference_electrode=reference,
            sign_convention=convention,
            sign_basis=sign_basis,
            metadata=meta,
            units_assumed=tuple(assumed),
        )
    ]
