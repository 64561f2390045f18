"""Bytes → text for the readers: size limits, binary sniffing, encodings, numeric tables.

Everything here is shared plumbing for the format modules; none of it knows about a
particular instrument.  Numbers are parsed by numpy's C reader (``np.loadtxt``) from a text
stream, so a large file costs its output arrays, not one Python object per row.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import DataError, FormatError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_JSON_BYTES",
    "MAX_POINTS",
    "DecimalCommaStream",
    "check_row_count",
    "decode_bytes",
    "detect_encoding",
    "file_size",
    "head_lines",
    "is_number",
    "iter_lines",
    "numeric_fields",
    "open_text",
    "parse_number",
    "parse_table",
    "read_head",
    "reject_binary",
    "source_of",
]

#: Most points one file may hold (all measurements together).  A file beyond it raises
#: :class:`~voltlens.errors.DataError` before its table is parsed.
MAX_POINTS = 5_000_000
#: Largest file read at all (text tables are streamed; this only bounds the time spent).
MAX_FILE_BYTES = 2 * 1024**3
#: Largest JSON document (PalmSens sessions, echemdb packages), which is parsed whole.
MAX_JSON_BYTES = 256 * 1024**2

HEAD_BYTES = 65536

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx/.docx workbook)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE2 document (.xls/.doc or a CH Instruments .bin)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"RIFF", "a RIFF container (WebP/WAV/AVI)"),
    (b"\x7fELF", "an executable"),
)

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")
_SPECIAL = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity"}


def source_of(path: str | os.PathLike[str]) -> str:
    """The name used for a file in messages: the path as the caller gave it."""
    return os.fspath(path)


def file_size(path: Path, source: str, *, limit: int = MAX_FILE_BYTES) -> int:
    """Size of ``path`` in bytes; DataError for a missing, unreadable, empty or oversized file."""
    try:
        if path.is_dir():
            raise DataError(source, "is a directory, not a data file", field="path")
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(source, "no such file", field="path") from None
    except OSError as exc:
        raise DataError(source, f"cannot be read: {exc.strerror or exc}", field="path") from None
    if size == 0:
        raise DataError(source, "is empty (0 bytes)", field="content")
    if size > limit:
        raise DataError(source, f"is {size} bytes, more than the {limit} bytes voltlens reads", field="size")
    return size


def read_head(path: Path, source: str, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of a file (after the existence/size checks)."""
    file_size(path, source)
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise DataError(source, f"cannot be read: {exc.strerror or exc}", field="path") from None


def reject_binary(head: bytes, source: str) -> None:
    """FormatError for images, archives and other binary content given as a data file."""
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise FormatError(source, f"is {what}, not an instrument data file", field="content")


def detect_encoding(head: bytes, source: str) -> str:
    """The text encoding of a file from its first bytes: BOMs, UTF-16 without BOM, UTF-8, cp1252.

    Raises FormatError for binary content or bytes that are text in none of these encodings.
    """
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 8:
        even_nul = sample[0::2].count(0) / len(sample[0::2])
        odd_nul = sample[1::2].count(0) / len(sample[1::2])
        if odd_nul > 0.4 and even_nul < 0.05:
            return "utf-16-le"
        if even_nul > 0.4 and odd_nul < 0.05:
            return "utf-16-be"
    if b"\x00" in head:
        raise FormatError(source, "holds binary data (NUL bytes), not text", field="content")
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            encoding = "utf-8"
        else:
            try:
                head.decode("cp1252")
                encoding = "cp1252"
            except UnicodeDecodeError as exc2:
                raise FormatError(
                    source,
                    f"is not text in UTF-8, UTF-16 or windows-1252: byte 0x{head[exc2.start]:02x} "
                    f"at offset {exc2.start}",
                    field="encoding",
                ) from None
    text = head.decode(encoding, errors="replace")
    _reject_control_characters(text, source)
    return encoding


_CONTROL = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f]")  # C0 controls except \t \n \v \f \r and \x1a (DOS EOF)


def _reject_control_characters(text: str, source: str) -> None:
    sample = text[:8192]
    controls = len(_CONTROL.findall(sample))
    if controls > max(8, len(sample) // 100):
        raise FormatError(source, "holds binary data (control characters), not text", field="content")


def decode_bytes(data: bytes, encoding: str, source: str) -> str:
    """Decode a whole document; UTF-8 that turns out not to be falls back to windows-1252."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding in ("utf-8", "utf-8-sig"):
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
        raise FormatError(
            source,
            f"is not valid {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}",
            field="encoding",
        ) from None


def open_text(path: Path, encoding: str) -> IO[str]:
    """A text stream with universal newlines (so line counts match ``np.loadtxt``'s)."""
    return path.open("r", encoding=encoding, newline=None)


def iter_lines(path: Path, encoding: str, source: str) -> Iterator[str]:
    """Lines of a text file without their newline characters (streamed)."""
    try:
        with open_text(path, encoding) as fh:
            for line in fh:
                yield line.rstrip("\n")
    except UnicodeDecodeError as exc:
        raise FormatError(source, f"is not valid {encoding} text: {exc.reason}", field="encoding") from None


def head_lines(head: bytes, encoding: str) -> list[str]:
    """The complete lines of a file's head (the last, possibly cut, line dropped if the head is cut)."""
    text = head.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if len(head) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]
    return lines


class DecimalCommaStream(io.TextIOBase):
    """A read-only text stream that turns decimal commas into points as it is read."""

    _TABLE = str.maketrans(",", ".")

    def __init__(self, raw: IO[str]) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        return self._raw.read(-1 if size is None else size).translate(self._TABLE)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self._raw.readline(-1 if size is None else size).translate(self._TABLE)

    def __iter__(self) -> Iterator[str]:
        for line in self._raw:
            yield line.translate(self._TABLE)


def is_number(token: str) -> bool:
    """True for tokens such as ``1``, ``-1.5e-3``, ``1,5`` (decimal comma), ``nan``, ``inf``."""
    t = token.strip()
    return bool(_NUMBER.match(t)) or t.lower() in _SPECIAL


def parse_number(text: str | None) -> float | None:
    """A float from a header value (decimal comma allowed, trailing unit text ignored); None if absent."""
    if text is None:
        return None
    t = text.strip()
    m = re.match(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?", t)
    if not m:
        return None
    try:
        value = float(m.group(0).replace(",", "."))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def numeric_fields(line: str, delimiter: str | None) -> list[str] | None:
    """The fields of ``line`` when all are numbers (and there are at least two), else None."""
    fields = line.split(delimiter) if delimiter is not None else line.split()
    if delimiter is not None:
        while fields and fields[-1].strip() == "":
            fields.pop()  # trailing delimiter
    if len(fields) < 2:
        return None
    if all(is_number(f) for f in fields):
        return fields
    return None


def check_row_count(path: Path, source: str, *, allowance: int = 100_000) -> None:
    """DataError when a text file has far more lines than :data:`MAX_POINTS` (counted in chunks)."""
    count_n = count_r = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 24):
                count_n += chunk.count(b"\n")
                count_r += chunk.count(b"\r")
    except OSError as exc:
        raise DataError(source, f"cannot be read: {exc.strerror or exc}", field="path") from None
    lines = max(count_n, count_r)
    if lines > MAX_POINTS + allowance:
        raise DataError(
            source,
            f"has {lines} lines, more than the {MAX_POINTS} points voltlens reads from one file "
            "(voltlens.io.MAX_POINTS); split the file or decimate it",
            field="rows",
        )


_LOADTXT_CONVERT = re.compile(
    r"could not convert string '(?P<tok>.*)' to float64 at row (?P<row>\d+), column (?P<col>\d+)"
)
_LOADTXT_COLUMNS = re.compile(r"number of columns changed from (?P<a>\d+) to (?P<b>\d+) at row (?P<row>\d+)")


def parse_table(
    stream: IO[str],
    *,
    source: str,
    delimiter: str | None,
    usecols: Sequence[int],
    names: Sequence[str],
    first_line: int,
    skiprows: int = 0,
    max_rows: int | None = None,
    decimal_comma: bool = False,
) -> np.ndarray:
    """Parse a numeric table into a 2-D float array (rows × ``usecols``) with numpy's C reader.

    ``names`` label the used columns and ``first_line`` is the 1-based file line of the table's
    first row, both only for messages.  More than :data:`MAX_POINTS` rows raise DataError; callers
    bound the work beforehand with :func:`check_row_count` (``max_rows`` is left to callers because
    numpy warns about blank lines whenever it is set).
    """
    src: IO[str] = DecimalCommaStream(stream) if decimal_comma else stream
    try:
        data = np.loadtxt(
            src,
            delimiter=delimiter,
            usecols=tuple(usecols),
            skiprows=skiprows,
            max_rows=max_rows,
            ndmin=2,
            dtype=float,
            comments=None,
            encoding=None,
        )
    except UnicodeDecodeError as exc:
        raise FormatError(
            source, f"is not valid text in its encoding: {exc.reason}", field="encoding"
        ) from None
    except ValueError as exc:
        raise _table_error(exc, source, names, usecols, first_line) from None
    if data.shape[0] > MAX_POINTS:
        raise DataError(
            source,
            f"has more than {MAX_POINTS} data rows, the most voltlens reads from one file (voltlens.io.MAX_POINTS)",
            field="rows",
        )
    return data


def _table_error(
    exc: ValueError, source: str, names: Sequence[str], usecols: Sequence[int], first_line: int
) -> DataError:
    msg = str(exc)
    m = _LOADTXT_CONVERT.search(msg)
    if m:
        col = int(m["col"]) - 1
        name = names[col] if 0 <= col < len(names) else f"column {col + 1}"
        row = int(m["row"])
        token = m["tok"]
        return DataError(
            source, f"not a number: {token!r} in the data table near line {first_line + row}", field=name
        )
    m = _LOADTXT_COLUMNS.search(msg)
    if m:
        row = int(m["row"])
        return DataError(
            source,
            f"row near line {first_line + row - 1} has {m['b']} fields where the table has {m['a']}",
            field="columns",
        )
    if "usecols" in msg or "out of bounds" in msg or "invalid column index" in msg:
        return DataError(source, f"a data row has fewer columns than its header ({msg})", field="columns")
    return DataError(source, f"unreadable data table: {msg}", field="table")
