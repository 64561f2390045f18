"""PNG encoding (deterministic, no metadata) and contact sheets."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from voltlens import ParameterError
from voltlens.render import contact_sheet, encode_png


def _chunks(png: bytes) -> list[str]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    names, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        names.append(png[pos + 4 : pos + 8].decode("ascii"))
        pos += 12 + length
    return names


def test_png_is_lossless_deterministic_and_carries_no_metadata() -> None:
    image = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    a, b = encode_png(image), encode_png(image.copy())
    assert a == b
    assert set(_chunks(a)) == {"IHDR", "IDAT", "IEND"}  # no tEXt/tIME/pHYs: nothing varies
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(a))), image)
    fast = encode_png(image, compress_level=1)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(fast))), image)


def test_png_rejects_bad_input() -> None:
    with pytest.raises(ParameterError):
        encode_png(np.zeros((4, 4, 3), dtype=np.float32))
    with pytest.raises(ParameterError):
        encode_png(np.zeros((4, 4, 3), dtype=np.uint8), compress_level=11)


def test_contact_sheet_grid_size_and_placement() -> None:
    tall = np.full((200, 100, 3), 10, dtype=np.uint8)
    wide = np.full((50, 300, 3), 250, dtype=np.uint8)
    sheet = contact_sheet([tall, wide, tall], ncols=2, cell_px=64, captions=["a", "b", "c"])
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 3
    assert sheet.shape[1] == 2 * (64 + 4) + 4
    rows = 2
    assert sheet.shape[0] > rows * (64 + 4)  # captions add height
    # the first tile is dark, the second light, each centred in its cell
    assert sheet[4 + 32, 4 + 32].max() < 40
    assert sheet[4 + 32, 4 + 68 + 32].min() > 200


def test_contact_sheet_rejects_bad_arguments() -> None:
    img = np.zeros((10, 10, 3), dtype=np.uint8)
    with pytest.raises(ParameterError):
        contact_sheet([], ncols=2)
    with pytest.raises(ParameterError):
        contact_sheet([img], ncols=0)
    with pytest.raises(ParameterError):
        contact_sheet([img, img], ncols=2, captions=["only one"])
