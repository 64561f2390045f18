"""Refusal over invention: what is not a readable voltammogram plot raises DigitizeError."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

from voltlens.digitize import MAX_PIXELS, digitize, load_image
from voltlens.errors import DigitizeError

from .conftest import DATA


def _figure_png(draw) -> bytes:  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with one tiny compressed row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_random_noise_is_refused() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    with pytest.raises(DigitizeError):
        digitize(noise)


def test_blank_image_is_refused() -> None:
    with pytest.raises(DigitizeError, match="no plot frame"):
        digitize(np.full((300, 400, 3), 255, dtype=np.uint8))


def test_bar_chart_is_refused() -> None:
    png = _figure_png(
        lambda ax: (ax.bar([1, 2, 3, 4], [3, 5, 2, 4]), ax.set_xlabel("E / V"), ax.set_ylabel("I / µA"))
    )
    with pytest.raises(DigitizeError):
        digitize(png)


def test_logarithmic_axis_is_refused() -> None:
    def draw(ax):  # type: ignore[no-untyped-def]
        ax.semilogy(np.linspace(0, 1, 50), np.exp(np.linspace(0, 8, 50)))
        ax.set_xlabel("E / V")
        ax.set_ylabel("I / A")

    with pytest.raises(DigitizeError, match="logarithmic"):
        digitize(_figure_png(draw))


def test_truncated_png_is_refused() -> None:
    data = (DATA / "d3tales_11ODQC" / "exp01_16_40_09_plot.png").read_bytes()
    with pytest.raises(DigitizeError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2], source="cut.png")


@pytest.mark.parametrize(("w", "h"), [(30000, 30000), (8000, 6000)])
def test_decompression_bomb_header_is_refused_before_decoding(w: int, h: int) -> None:
    assert w * h > MAX_PIXELS
    with pytest.raises(DigitizeError, match="bomb"):
        load_image(_png_header(w, h), source="bomb.png")


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_garbage_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(DigitizeError):
        load_image(data, source="junk")


def test_tiny_and_missing_images_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DigitizeError, match="at least"):
        digitize(np.zeros((20, 20, 3), dtype=np.uint8))
    with pytest.raises(DigitizeError, match="cannot be read"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(DigitizeError, match="H×W×3"):
        digitize(np.zeros((100, 100, 5), dtype=np.uint8))


def test_load_image_decodes_like_pillow() -> None:
    from PIL import Image

    path = DATA / "d3tales_11ODQC" / "exp03_16_40_39_plot.png"
    ours = load_image(path)
    theirs = np.asarray(Image.open(path).convert("RGB"))
    assert ours.dtype == np.uint8 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(load_image(path.read_bytes(), source="bytes"), theirs)
