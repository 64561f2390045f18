"""Fuzzing: whatever bytes or text reach read(), only VoltlensError subclasses come out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voltlens import Voltammogram, VoltlensError
from voltlens.io import detect_format, read


def _read_bytes(data: bytes, name: str = "fuzz.csv") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            records = read(path)
        except VoltlensError as exc:
            assert str(path) in str(exc)
            return
        assert records and all(isinstance(r, Voltammogram) for r in records)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes(data):
    _read_bytes(data)


_token = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "inf",
            "E/V",
            "I/A",
            "Potential/V",
            "Current/A",
            "j / mA cm-2",
            "1,5",
            "-",
            "e",
            ".",
            "µA",
            "Scan",
            "cycle",
            "time/s",
            "1e-400",
            "1e400",
            "0x10",
        ]
    ),
)
_line = st.lists(_token, min_size=0, max_size=5).flatmap(
    lambda fields: st.sampled_from([",", ";", "\t", " "]).map(lambda sep: sep.join(fields))
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=30), st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_random_tables(lines, encoding):
    text = "\n".join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _read_bytes(data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_detect(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.txt"
        path.write_text(text, encoding="utf-8")
        try:
            detect_format(path)
        except VoltlensError:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"EC-Lab ASCII FILE\r\nNb header lines : 5\r\n",
            b"EXPLAIN\r\nTAG\tCV\r\nCURVE1\tTABLE\r\n",
            b"BIO-LOGIC MODULAR FILE\x1a" + b" " * 25 + b"\x00" * 4,
            '{"Measurements":['.encode("utf-16"),
            b"Jan. 1, 2020\nCyclic Voltammetry\nInit E (V) = 0\nScan Rate (V/s) = 0.1\n\nPotential/V, Current/A\n",
        ]
    ),
)
def test_random_bytes_after_a_format_signature(tail, head):
    _read_bytes(head + tail, "sig.dat")
