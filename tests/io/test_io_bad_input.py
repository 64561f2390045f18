"""Bad input gives one-line VoltlensError messages naming the file, the field and the problem."""

from __future__ import annotations

import time

import pytest

from voltlens import DataError, FormatError, UnsupportedMeasurementError, VoltlensError
from voltlens.io import MAX_POINTS, detect_format, read

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

CASES = [
    ("empty.csv", b"", DataError, "empty"),
    ("blank.csv", b"  \n\n \r\n", DataError, "blank"),
    ("junk.csv", bytes(range(256)) * 8, FormatError, "binary"),
    ("figure.csv", PNG, FormatError, "PNG image"),
    ("scan.txt", b"%PDF-1.4\n...", FormatError, "PDF"),
    ("book.csv", b"PK\x03\x04" + b"\x00" * 40, FormatError, "ZIP"),
    ("words.txt", b"hello\nno numbers in here\n", FormatError, "no table of numbers"),
    ("onecol.csv", b"Potential/V\n0.1\n0.2\n0.3\n", FormatError, "no table of numbers"),
    ("wrong.csv", b"foo,bar\n1,2\n3,4\n5,6\n", FormatError, "no potential column"),
    ("nocurrent.csv", b"E/V,t/s\n1,2\n3,4\n5,6\n", FormatError, "no current column"),
    ("one.csv", b"E/V,I/A\n0.1,1e-6\n", DataError, "1 data point"),
    (
        "nan.csv",
        b"E/V,I/A\n0.1,1e-6\n0.2,nan\n0.3,2e-6\n0.4,1e-6\n",
        DataError,
        "I/A: non-finite value nan in data row 2",
    ),
    (
        "inf.csv",
        b"E/V,I/A\n0.1,1e-6\n0.2,2e-6\n-inf,2e-6\n0.4,1e-6\n",
        DataError,
        "E/V: non-finite value -inf",
    ),
    (
        "text.csv",
        b"E/V,I/A\n0.1,1e-6\n0.2,2e-6\n0.3,abc\n0.4,1e-6\n",
        DataError,
        "'abc' in the data table near line 4",
    ),
    ("ragged.csv", b"E/V,I/A\n0.1,1e-6\n0.2,2e-6\n0.3\n0.4,1e-6\n", DataError, "columns"),
    ("enc.csv", b"E/V,I/A\x81\x8d\n0.1,1\n0.2,2\n0.3,3\n", FormatError, "windows-1252"),
    (
        "flat.csv",
        b"E/V,I/A\n0.1,1e-6\n0.1,2e-6\n0.1,3e-6\n",
        UnsupportedMeasurementError,
        "constant potential",
    ),
    ("bad.json", b'{"hello": [1, 2, 3]}', FormatError, "JSON"),
    (
        "broken.pssession",
        '{"Measurements": [{"Method": "METHOD_ID=cv", '.encode("utf-16"),
        FormatError,
        "JSON",
    ),
    (
        "short.mpr",
        b"BIO-LOGIC MODULAR FILE\x1a" + b" " * 25 + b"\x00" * 4 + b"MODULE" + b"\x00" * 10,
        FormatError,
        "module header",
    ),
    ("bad.DTA", b"EXPLAIN\nTAG\tCV\n", FormatError, "no CURVE table"),
]


@pytest.mark.parametrize(("name", "content", "error", "text"), CASES)
def test_bad_input(tmp_path, name, content, error, text):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as exc:
        read(path)
    message = str(exc.value)
    assert text in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        read(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        detect_format(tmp_path / "nope.csv")


def test_ten_million_points_are_refused_quickly(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write(b"E/V,I/A\n")
        fh.write(b"0.1,1e-6\n0.2,2e-6\n" * 5_000_000)
    start = time.perf_counter()
    with pytest.raises(DataError, match=rf"huge.csv: rows: .*more than the {MAX_POINTS} points"):
        read(path)
    assert time.perf_counter() - start < 5.0


def test_every_error_is_a_voltlens_error():
    for _, _, error, _ in CASES:
        assert issubclass(error, VoltlensError)
