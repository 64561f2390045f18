"""Round-9 failure classes of the series colours, planted in figures drawn with plain matplotlib (the
truth is the formula plotted, never an earlier output of the digitizer).

- a grey curve beside black ones: any neutral grey lies on the line from a white background to
  black, so the grey curve was taken for the black strokes' anti-aliased edge and merged into them
  (one curve short, and a black curve carrying the grey one's points);
- grey gridlines behind black markers merged into the markers the same way (the curve then ran
  along the gridlines' dashes)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from voltlens.digitize import digitize

from .conftest import curve_error, cv_cycle, figure_png


@pytest.mark.parametrize("grey", ["#777777", "#545a6d", "#8a8a8a"])
def test_a_grey_curve_beside_black_ones_is_its_own_curve(grey: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    truth = []
    for colour, e0, amp in (("black", -0.05, 6.0), (grey, 0.2, 3.0)):
        e, i = cv_cycle(e0, amp)
        ax.plot(e, i, color=colour, lw=1.5)
        truth.append((e, i * 1e-6))
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 2, [c.metadata["color"] for c in got.curves]
    xr, yr = 0.8, 12e-6
    for e, i in truth:  # each true curve has a recovered one on it
        errs = [curve_error((e, i), (c.potential, c.current), xr, yr) for c in got.curves]
        assert min(errs) <= 1.0, errs


@pytest.mark.parametrize("seed", [0, 1])
def test_grey_gridlines_do_not_join_black_markers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = np.linspace(-0.6, 0.4, 90)
    i = 20.0 * np.exp(-0.5 * ((e + 0.28) / 0.04) ** 2) + 10.0 * np.exp(-0.5 * ((e - 0.1) / 0.05) ** 2)
    i = i + rng.normal(0.0, 0.4, e.size)  # µA, a DPV-like pair of peaks
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.set_facecolor("#f7f7f7")
    ax.grid(True, color="#c8c8c8", linestyle="-.", lw=1.0)
    ax.plot(e, i, "s", color="black", ms=6)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 1
    c = got.curves[0]
    err = curve_error((e, i * 1e-6), (c.potential, c.current), 1.0, 22e-6)
    assert err <= 1.0, err


def _jpeg(png: bytes, quality: int) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.mark.parametrize(("seed", "colour"), [(0, "#e41a1c"), (1, "#e41a1c"), (2, "#d62728")])
def test_jpeg_ringing_of_a_red_noisy_loop_is_one_curve(seed: int, colour: str) -> None:
    rng = np.random.default_rng(seed)
    e, i = cv_cycle(0.0, 50.0)
    i = i + rng.normal(0.0, 2.0, e.size)  # µA: a noisy stroke, many edges for the JPEG to ring on
    fig, ax = plt.subplots(figsize=(12.8, 9.2))
    ax.plot(e, i, color=colour, lw=3.0)
    ax.set_xlabel("E (V)")
    ax.set_ylabel("Current / µA")
    got = digitize(_jpeg(figure_png(fig), 80))
    assert len(got.curves) == 1, [c.metadata["color"] for c in got.curves]
    err = curve_error((e, i * 1e-6), (got.curves[0].potential, got.curves[0].current), 0.8, 110e-6)
    assert err <= 1.0, err


@pytest.mark.parametrize(("seed", "index"), [(23, 31), (23, 84)])
def test_a_pale_hairline_with_a_few_full_colour_pixels_is_one_curve(seed: int, index: int) -> None:
    # rendered single noisy CVs drawn as hairlines: the stroke never reaches its colour but where its
    # zig-zags cross, so the few full-colour pixels lie far from most of the pale stroke — they are
    # still one curve (the spatial test looks at the smaller cluster of the two)
    from voltlens.synth.config import SynthConfig
    from voltlens.synth.sample import generate_sample

    s = generate_sample(index, seed=seed, config=SynthConfig())
    [c] = s.label["render_meta"]["curves"]
    v = s.measured[c["source"]]
    xa, ya = s.label["render_meta"]["x_axis"], s.label["render_meta"]["y_axis"]
    xr = abs(xa["limits"][1] - xa["limits"][0]) * xa["scale"]
    yr = abs(ya["limits"][1] - ya["limits"][0]) * ya["scale"]
    got = digitize(s.png)
    assert len(got.curves) == 1, [k.metadata["color"] for k in got.curves]
    k = got.curves[0]
    assert curve_error((v.potential, v.current), (k.potential, k.current), xr, yr) <= 0.5


@pytest.mark.parametrize(("style", "colour"), [(":", "#b0b0b0"), ("--", "#c0c0c0"), (":", "#a0a0a0")])
def test_dotted_grey_gridlines_behind_black_markers_are_no_curve(style: str, colour: str) -> None:
    # what the line removal leaves of dotted gridlines is pale grey, far from the black curve: it is
    # neither that curve's anti-aliased edge nor a curve of its own
    e = np.linspace(-0.6, 0.4, 120)
    i = 14.0 * np.exp(-0.5 * ((e + 0.05) / 0.05) ** 2) + 3.0 * (e + 0.6)  # µA, a peak on a slope
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.grid(True, color=colour, linestyle=style, lw=1.0)
    ax.plot(e, i, "o", color="black", ms=2.5)
    ax.set_xlabel("E / V")
    ax.set_ylabel("I / µA")
    got = digitize(figure_png(fig))
    assert len(got.curves) == 1, [c.metadata["color"] for c in got.curves]
    c = got.curves[0]
    assert curve_error((e, i * 1e-6), (c.potential, c.current), 1.0, 17e-6) <= 1.0
