"""BioLogic EC-Lab ``.mpr`` binary files (the VMP data module).

The format is undocumented; this reader follows the layout worked out by the galvani project
(reimplemented, not copied):

* file magic: ``b"BIO-LOGIC MODULAR FILE\\x1a"`` padded with spaces to 48 bytes, then 4 zero
  bytes (52 bytes);
* modules, each ``b"MODULE"`` + a header: ``shortname`` (10 bytes, e.g. ``b"VMP data  "``),
  ``longname`` (25), then either ``length`` u32, ``version`` u32, ``date`` (8 ASCII) — or, from
  EC-Lab 11.50 on, ``0xFFFFFFFF`` u32 (max length), ``length`` u32, ``version`` u32, an unknown u32
  and ``date`` — followed by ``length`` bytes of module data;
* the data module (``VMP data``): ``n_points`` u32, ``n_columns`` u8, then the column-id table:
  version 0 — u8 ids, records from byte 100 (or, for EC-Lab ≥ 11.50, ids interleaved with zero
  bytes and records from byte 1007); versions 2 and 3 — u16 ids, records from byte 405 (406);
* records: little-endian, fields in id order; ids 1, 2, 3, 21, 31, 65 are bits of one shared
  ``flags`` byte placed where the first of them appears.

Supported column ids (anything else raises :class:`~voltlens.errors.FormatError` naming the id):
flags 1 mode, 2 ox/red, 3 error, 21 control changes, 31 Ns changes, 65 counter inc.;
4 time/s (f8); 5 control/V/mA (f4); 6 Ewe/V (f4); 7 dq/mA.h (f8); 8 I/mA (f4); 9 Ece/V (f4);
11 <I>/mA (f8); 13 (Q-Qo)/mA.h (f8); 16 Analog IN 1/V (f4); 19 control/V (f4); 20 control/mA (f4);
23 dQ/mA.h (f8); 24 cycle number (f8); 26 Rapp/Ohm (f4); 27 Ewe-Ece/V (f4); 32 freq/Hz (f4);
33 |Ewe|/V; 34 |I|/A; 35 Phase(Z)/deg; 36 |Z|/Ohm; 37 Re(Z)/Ohm; 38 -Im(Z)/Ohm (f4 each);
39 I Range (u2); 69 R/Ohm (f4); 70 P/W (f4); 74 |Energy|/W.h (f8); 76 <I>/mA (f4); 77 <Ewe>/V (f4);
123/124 Energy charge/discharge/W.h (f8); 125/126 Capacitance charge/discharge/µF (f8);
131 Ns (u2); 169 Cs/µF (f4); 172 Cp/µF (f4); 434 (Q-Qo)/C (f4); 435 dQ/C (f4); 441 <Ecv>/V (f4);
462 Temperature/°C (f4); 467 Q charge/discharge/mA.h (f8); 468 half cycle (u4); 471 <Ece>/V (f4).

The settings module is not decoded, so the technique is inferred from the data: impedance
columns (freq/Hz) → EIS (unsupported), a potential that does not move → chronoamperometry/OCV
(unsupported), else CV when the potential reverses and LSV otherwise.  EC-Lab writes anodic
current positive (IUPAC); currents are in mA.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, FormatError
from ..model import SignConvention, Voltammogram
from ..units import Unit
from ._build import build_voltammogram
from ._techniques import raise_unsupported
from ._text import MAX_POINTS, file_size

__all__ = ["COLUMN_IDS", "FLAG_IDS", "MPR_MAGIC", "read_mpr"]

MPR_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + b"\x00\x00\x00\x00"

#: Flag column ids → (name, bit mask) within the shared flags byte.
FLAG_IDS: dict[int, tuple[str, int]] = {
    1: ("mode", 0x03),
    2: ("ox/red", 0x04),
    3: ("error", 0x08),
    21: ("control changes", 0x10),
    31: ("Ns changes", 0x20),
    65: ("counter inc.", 0x80),
}

#: Column ids → (name, little-endian numpy type).
COLUMN_IDS: dict[int, tuple[str, str]] = {
    4: ("time/s", "<f8"),
    5: ("control/V/mA", "<f4"),
    6: ("Ewe/V", "<f4"),
    7: ("dq/mA.h", "<f8"),
    8: ("I/mA", "<f4"),
    9: ("Ece/V", "<f4"),
    11: ("<I>/mA", "<f8"),
    13: ("(Q-Qo)/mA.h", "<f8"),
    16: ("Analog IN 1/V", "<f4"),
    19: ("control/V", "<f4"),
    20: ("control/mA", "<f4"),
    23: ("dQ/mA.h", "<f8"),
    24: ("cycle number", "<f8"),
    26: ("Rapp/Ohm", "<f4"),
    27: ("Ewe-Ece/V", "<f4"),
    32: ("freq/Hz", "<f4"),
    33: ("|Ewe|/V", "<f4"),
    34: ("|I|/A", "<f4"),
    35: ("Phase(Z)/deg", "<f4"),
    36: ("|Z|/Ohm", "<f4"),
    37: ("Re(Z)/Ohm", "<f4"),
    38: ("-Im(Z)/Ohm", "<f4"),
    39: ("I Range", "<u2"),
    69: ("R/Ohm", "<f4"),
    70: ("P/W", "<f4"),
    74: ("|Energy|/W.h", "<f8"),
    76: ("<I>/mA", "<f4"),
    77: ("<Ewe>/V", "<f4"),
    123: ("Energy charge/W.h", "<f8"),
    124: ("Energy discharge/W.h", "<f8"),
    125: ("Capacitance charge/µF", "<f8"),
    126: ("Capacitance discharge/µF", "<f8"),
    131: ("Ns", "<u2"),
    169: ("Cs/µF", "<f4"),
    172: ("Cp/µF", "<f4"),
    434: ("(Q-Qo)/C", "<f4"),
    435: ("dQ/C", "<f4"),
    441: ("<Ecv>/V", "<f4"),
    462: ("Temperature/°C", "<f4"),
    467: ("Q charge/discharge/mA.h", "<f8"),
    468: ("half cycle", "<u4"),
    471: ("<Ece>/V", "<f4"),
}

_HDR_V1 = np.dtype(
    [("shortname", "S10"), ("longname", "S25"), ("length", "<u4"), ("version", "<u4"), ("date", "S8")]
)
_HDR_V2 = np.dtype(
    [
        ("shortname", "S10"),
        ("longname", "S25"),
        ("max_length", "<u4"),
        ("length", "<u4"),
        ("version", "<u4"),
        ("unknown", "<u4"),
        ("date", "S8"),
    ]
)


def _modules(data: bytes, source: str) -> list[dict[str, Any]]:
    pos = len(MPR_MAGIC)
    out: list[dict[str, Any]] = []
    while pos < len(data):
        if data[pos : pos + 6] != b"MODULE":
            raise FormatError(
                source,
                f"expected 'MODULE' at byte {pos}, found {data[pos : pos + 6]!r}",
                field="module header",
            )
        pos += 6
        hdr_type = _HDR_V2 if data[pos + 35 : pos + 39] == b"\xff\xff\xff\xff" else _HDR_V1
        if pos + hdr_type.itemsize > len(data):
            raise FormatError(
                source, f"file ends inside a module header at byte {pos}", field="module header"
            )
        hdr = np.frombuffer(data, dtype=hdr_type, count=1, offset=pos)[0]
        pos += hdr_type.itemsize
        length = int(hdr["length"])
        if pos + length > len(data):
            name = bytes(hdr["shortname"]).decode("latin-1").strip()
            raise FormatError(
                source,
                f"module {name!r} declares {length} bytes but the file ends after {len(data) - pos}",
                field="module length",
            )
        out.append(
            {
                "shortname": bytes(hdr["shortname"]).decode("latin-1").strip(),
                "longname": bytes(hdr["longname"]).decode("latin-1").strip(),
                "version": int(hdr["version"]),
                "date": bytes(hdr["date"]).decode("latin-1").strip(),
                "data": data[pos : pos + length],
            }
        )
        pos += length
    return out


def _column_ids(module: dict[str, Any], source: str) -> tuple[list[int], int]:
    body: bytes = module["data"]
    if len(body) < 5:
        raise FormatError(source, "data module is shorter than its 5-byte header", field="VMP data")
    n_columns = body[4]
    version = module["version"]
    if version == 0:
        if len(body) > 5 and body[5] != 0:
            ids = list(body[5 : 5 + n_columns])
            return ids, 100
        raw = body[5 : 5 + 2 * n_columns]
        return list(raw[1::2]), 1007
    if version in (2, 3):
        ids = np.frombuffer(body, dtype="<u2", count=n_columns, offset=5).tolist()
        return ids, 405 if version == 2 else 406
    raise FormatError(
        source, f"data module version {version} is not supported (0, 2 and 3 are)", field="VMP data version"
    )


def _record_dtype(ids: list[int], source: str) -> tuple[np.dtype, dict[str, int]]:
    fields: list[tuple[str, str]] = []
    flags: dict[str, int] = {}
    seen: dict[str, int] = {}
    for cid in ids:
        if cid in FLAG_IDS:
            if "flags" not in seen:
                fields.append(("flags", "u1"))
                seen["flags"] = 1
            name, mask = FLAG_IDS[cid]
            flags[name] = mask
        elif cid in COLUMN_IDS:
            name, kind = COLUMN_IDS[cid]
            seen[name] = seen.get(name, 0) + 1
            fields.append((name if seen[name] == 1 else f"{name} {seen[name]}", kind))
        else:
            after = f" (after column '{fields[-1][0]}')" if fields else ""
            raise FormatError(
                source,
                f"unknown column id {cid}{after}: written by an EC-Lab version this reader does not know; "
                "export the file as .mpt text instead",
                field="column id",
            )
    return np.dtype(fields), flags


def read_mpr(path: Path, source: str) -> list[Voltammogram]:
    file_size(path, source)
    data = path.read_bytes()
    if not data.startswith(b"BIO-LOGIC MODULAR FILE"):
        raise FormatError(source, "does not start with 'BIO-LOGIC MODULAR FILE'", field="magic")
    modules = _modules(data, source)
    data_modules = [m for m in modules if m["shortname"] == "VMP data"]
    if not data_modules:
        raise FormatError(
            source,
            f"has no 'VMP data' module (modules: {[m['shortname'] for m in modules]})",
            field="VMP data",
        )
    module = data_modules[0]
    body: bytes = module["data"]
    n_points = int(np.frombuffer(body, dtype="<u4", count=1)[0]) if len(body) >= 4 else 0
    ids, offset = _column_ids(module, source)
    dtype, flags = _record_dtype(ids, source)
    if n_points > MAX_POINTS:
        raise DataError(
            source, f"holds {n_points} points, more than {MAX_POINTS} (voltlens.io.MAX_POINTS)", field="rows"
        )
    needed = offset + n_points * dtype.itemsize
    if needed > len(body):
        raise FormatError(
            source,
            f"data module holds {len(body) - offset} record bytes, {n_points} records of "
            f"{dtype.itemsize} bytes need {n_points * dtype.itemsize}",
            field="VMP data",
        )
    records = np.frombuffer(body, dtype=dtype, count=n_points, offset=offset)
    names = list(dtype.names or ())
    if "freq/Hz" in names:
        raise_unsupported(source, ["EIS (impedance)"])
    pot = next((n for n in ("Ewe/V", "<Ewe>/V") if n in names), None)
    cur = next((n for n in ("<I>/mA", "I/mA", "<I>/mA 2") if n in names), None)
    if pot is None or cur is None:
        missing = "Ewe/V (id 6 or 77)" if pot is None else "<I>/mA or I/mA (id 8, 11 or 76)"
        raise FormatError(source, f"no {missing} column among {names}", field="columns")
    metadata: dict[str, Any] = {
        "instrument": "BioLogic (EC-Lab .mpr)",
        "modules": [{k: m[k] for k in ("shortname", "longname", "version", "date")} for m in modules],
        "column_ids": ids,
        "columns_in_file": names,
    }
    if "flags" in names and "ox/red" in flags:
        metadata["ox_red_points"] = int(np.count_nonzero(records["flags"] & flags["ox/red"]))
    return [
        build_voltammogram(
            source=source,
            fmt="biologic_mpr",
            potential=records[pot].astype(float),
            current=records[cur].astype(float),
            potential_unit=Unit("potential", "V", 1.0),
            current_unit=Unit("current", "mA", 1e-3),
            labels={"potential": pot, "current": cur, **({"time": "time/s"} if "time/s" in names else {})},
            time=records["time/s"].astype(float) if "time/s" in names else None,
            cycle=records["cycle number"].astype(float) if "cycle number" in names else None,
            sign_convention=SignConvention.IUPAC,
            sign_basis="EC-Lab convention (anodic current positive)",
            metadata=metadata,
        )
    ]
