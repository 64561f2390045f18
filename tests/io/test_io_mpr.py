"""BioLogic .mpr: synthetic files built by a small writer that follows the documented layout.

No real .mpr is available to the project, so the writer below encodes the layout independently
of the reader (its own column table) and the real .mpt export is re-encoded as .mpr: both files
must give the same voltammogram.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from voltlens import FormatError, SignConvention, Technique, UnsupportedMeasurementError
from voltlens.io import detect_format, read

MPT = Path(__file__).parent.parent / "data" / "real" / "biologic" / "ixdat_Pt_poly_cv_CUT.mpt"

# id → (numpy type) for the non-flag columns this writer emits (EC-Lab layout as documented by galvani)
_TYPES = {
    4: "<f8",
    6: "<f4",
    19: "<f4",
    24: "<f8",
    27: "<f4",
    32: "<f4",
    37: "<f4",
    39: "<u2",
    70: "<f4",
    76: "<f4",
    434: "<f4",
    471: "<f4",
    999: "<f4",
}
_FLAG_BITS = {1: 0x03, 2: 0x04, 3: 0x08, 21: 0x10, 31: 0x20, 65: 0x80}


def _module(short: bytes, long: bytes, body: bytes, version: int, *, new_header: bool) -> bytes:
    name = short.ljust(10) + long.ljust(25)
    if new_header:  # EC-Lab >= 11.50
        head = name + struct.pack("<IIII", 0xFFFFFFFF, len(body), version, 11) + b"07/29/20"
    else:
        head = name + struct.pack("<II", len(body), version) + b"07/29/20"
    return b"MODULE" + head + body


def write_mpr(
    path: Path,
    ids: list[int],
    columns: dict[int, np.ndarray],
    *,
    version: int = 2,
    new_header: bool = False,
    n_points: int | None = None,
) -> None:
    """Write a minimal .mpr with a settings module and a data module holding ``columns``."""
    n = len(next(iter(columns.values())))
    fields, seen_flags = [], False
    for cid in ids:
        if cid in _FLAG_BITS:
            if not seen_flags:
                fields.append(("flags", "u1"))
                seen_flags = True
        else:
            fields.append((f"c{cid}", _TYPES[cid]))
    rec = np.zeros(n, dtype=np.dtype(fields))
    for cid in ids:
        if cid in _FLAG_BITS:
            mask = _FLAG_BITS[cid]
            shift = (mask & -mask).bit_length() - 1  # lowest set bit of the mask
            rec["flags"] |= (columns[cid].astype(np.uint8) << shift) & mask
        else:
            rec[f"c{cid}"] = columns[cid]
    head = struct.pack("<IB", n if n_points is None else n_points, len(ids))
    if version == 0:
        table = bytes(ids)
        body = (head + table).ljust(100, b"\x00")
    else:
        table = struct.pack(f"<{len(ids)}H", *ids)
        body = (head + table).ljust(405 if version == 2 else 406, b"\x00")
    body += rec.tobytes()
    magic = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + b"\x00" * 4
    settings = _module(b"VMP Set", b"VMP settings", b"\x03" + b"\x00" * 200, 0, new_header=new_header)
    data = _module(b"VMP data", b"VMP data", body, version, new_header=new_header)
    path.write_bytes(magic + settings + data)


def _mpt_columns() -> dict[int, np.ndarray]:
    text = MPT.read_text(encoding="cp1252").replace(",", ".").splitlines()
    table = np.loadtxt(text[73:], delimiter="\t", usecols=range(16))
    # mode ox/red error control-changes Ns-changes counter-inc time control Ewe <I> cycle Q IRange Ece P Ewe-Ece
    order = [1, 2, 3, 21, 31, 65, 4, 19, 6, 76, 24, 434, 39, 471, 70, 27]
    return {cid: table[:, k] for k, cid in enumerate(order)}


MPT_IDS = [1, 2, 3, 21, 31, 65, 4, 19, 6, 76, 24, 434, 39, 471, 70, 27]


@pytest.mark.parametrize(("version", "new_header"), [(2, False), (3, False), (2, True), (0, False)])
def test_mpr_matches_the_mpt_export(tmp_path, version, new_header):
    cols = _mpt_columns()
    ids = MPT_IDS if version else [c for c in MPT_IDS if c < 256]  # version 0 stores ids as single bytes
    path = tmp_path / "cv.txt"  # misleading name on purpose
    write_mpr(path, ids, cols, version=version, new_header=new_header)
    assert detect_format(path) == "biologic_mpr"
    [v] = read(path)
    [ref] = read(MPT)
    assert v.n_points == ref.n_points == 223
    np.testing.assert_allclose(v.potential, ref.potential, rtol=1e-6)  # Ewe stored as float32
    np.testing.assert_allclose(v.current, ref.current, rtol=1e-6, atol=1e-15)
    np.testing.assert_array_equal(v.time, ref.time)
    np.testing.assert_array_equal(v.cycle, ref.cycle)
    assert v.technique == Technique.CV
    assert v.sign_convention == SignConvention.IUPAC
    assert v.display_units["current"] == "mA"
    assert v.metadata["column_ids"] == ids
    assert v.metadata["ox_red_points"] == int(np.count_nonzero(cols[2]))


def test_mpr_unknown_column_id_is_named(tmp_path):
    cols = {4: np.arange(5.0), 6: np.linspace(0, 0.5, 5), 999: np.zeros(5), 76: np.ones(5)}
    path = tmp_path / "new_eclab.mpr"
    write_mpr(path, [4, 6, 999, 76], cols)
    with pytest.raises(FormatError, match="unknown column id 999") as exc:
        read(path)
    assert "new_eclab.mpr" in str(exc.value) and "Ewe/V" in str(exc.value)


def test_mpr_impedance_is_unsupported(tmp_path):
    cols = {4: np.arange(3.0), 32: np.array([1e3, 1e2, 1e1]), 6: np.zeros(3), 37: np.ones(3)}
    path = tmp_path / "eis.mpr"
    write_mpr(path, [4, 32, 6, 37], cols)
    with pytest.raises(UnsupportedMeasurementError, match="EIS"):
        read(path)


def test_mpr_truncated_records(tmp_path):
    cols = {4: np.arange(10.0), 6: np.linspace(0, 0.5, 10), 76: np.ones(10)}
    path = tmp_path / "cut.mpr"
    write_mpr(path, [4, 6, 76], cols, n_points=20)
    with pytest.raises(FormatError, match=r"cut\.mpr.*20 records"):
        read(path)


def test_mpr_truncated_module(tmp_path):
    cols = {4: np.arange(10.0), 6: np.linspace(0, 0.5, 10), 76: np.ones(10)}
    path = tmp_path / "cut.mpr"
    write_mpr(path, [4, 6, 76], cols)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(FormatError, match="declares"):
        read(path)
