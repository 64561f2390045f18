"""Find and read the numeric table of a delimited text file (CSV, TSV, whitespace, ``;``).

:func:`sniff_table` looks at the first lines to find where numbers start, the delimiter, the
decimal mark and the header row; :func:`read_columns` then streams the table through numpy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ._text import is_number, numeric_fields, open_text, parse_table

__all__ = ["TableLayout", "read_columns", "sniff_table", "split_fields"]

_DELIMITERS: tuple[str | None, ...] = ("\t", ";", ",", None)
_LOOKAHEAD = 20  # lines after a candidate first row that must mostly agree with it


@dataclass(frozen=True, slots=True)
class TableLayout:
    start: int  # 0-based index of the first data line (= physical lines to skip)
    delimiter: str | None  # None: runs of whitespace
    decimal_comma: bool
    n_columns: int
    header: list[str] | None  # column names, when the line above the data names them
    header_line: int | None  # 0-based index of that line


def split_fields(line: str, delimiter: str | None) -> list[str]:
    """Fields of a line; trailing empty fields (a trailing delimiter) dropped."""
    if delimiter is None:
        fields = (
            re.split(r"\t|\s{2,}", line.strip()) if re.search(r"\t|\s{2,}", line.strip()) else line.split()
        )
    else:
        fields = line.split(delimiter)
    fields = [f.strip() for f in fields]
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def _table_at(lines: list[str], k: int, delimiter: str | None) -> int | None:
    """Field count when a numeric table starts at line k: this line and the next non-blank one are
    numeric with as many fields, and so are all but one in five of the following (up to 20)."""
    first = numeric_fields(lines[k], delimiter)
    if first is None:
        return None
    n = len(first)
    looked = agree = 0
    for line in lines[k + 1 :]:
        if not line.strip():
            continue
        looked += 1
        fields = numeric_fields(line, delimiter)
        ok = fields is not None and len(fields) == n
        if looked == 1 and not ok:
            return None  # the very next line must continue the table
        agree += ok
        if looked >= _LOOKAHEAD:
            break
    if agree < looked - max(1, looked // 5):
        return None
    return n


def sniff_table(lines: list[str], source: str, *, start_at: int = 0) -> TableLayout:
    """The layout of the first numeric table in ``lines`` (a file's head), or FormatError."""
    for k in range(start_at, len(lines)):
        if not lines[k].strip():
            continue
        for delimiter in _DELIMITERS:
            n = _table_at(lines, k, delimiter)
            if n is None:
                continue
            sample = [ln for ln in lines[k : k + 50] if ln.strip()]
            decimal_comma = delimiter != "," and any("," in ln for ln in sample)
            header, header_line = _header_above(lines, k, delimiter, n)
            return TableLayout(k, delimiter, decimal_comma, n, header, header_line)
    raise FormatError(source, "holds no table of numbers (at least two numeric columns)", field="content")


def _header_above(
    lines: list[str], k: int, delimiter: str | None, n: int
) -> tuple[list[str] | None, int | None]:
    j = k - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j < 0:
        return None, None
    fields = split_fields(lines[j], delimiter)
    if delimiter is None and len(fields) != n:
        fields = lines[j].split()
    if len(fields) != n or all(is_number(f) for f in fields):
        return None, None
    return fields, j


def read_columns(
    path: Path,
    encoding: str,
    layout: TableLayout,
    usecols: list[int],
    names: list[str],
    source: str,
    *,
    max_rows: int | None = None,
) -> np.ndarray:
    """The used columns of the table (rows × len(usecols)), streamed from the file."""
    with open_text(path, encoding) as fh:
        return parse_table(
            fh,
            source=source,
            delimiter=layout.delimiter,
            usecols=usecols,
            names=names,
            first_line=layout.start + 1,
            skiprows=layout.start,
            max_rows=max_rows,
            decimal_comma=layout.decimal_comma,
        )
