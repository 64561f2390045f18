"""``voltlens mcp`` as a real process, driven by the MCP Python SDK's client over stdio and streamable HTTP:
tools listed with the contract's schemas, analyses checked against textbook truths, errors as tool errors."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

mcp = pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402
from voltlens import io  # noqa: E402
from voltlens.analyze.contract import AnalysisReport, analysis_schema  # noqa: E402
from voltlens.api.models import AskAnswer, CompareReport  # noqa: E402
from voltlens.constants import FARADAY, GAS_CONSTANT, STANDARD_TEMPERATURE  # noqa: E402
from voltlens.simulate import Artifacts, Cell, CVWaveform, Reversible, apply_artifacts, simulate_cv  # noqa: E402

TOOLS = {"analyze_voltammogram", "ask_about_voltammogram", "compare_voltammograms", "analyze_series"}
DELTA_EP_REV = 2.218 * GAS_CONSTANT * STANDARD_TEMPERATURE / FARADAY


def _cv(e0: float = 0.1, v: float = 0.1):
    sp = Reversible(e0_V=e0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9)
    wave = CVWaveform(start_V=e0 - 0.35, vertex_V=e0 + 0.35, scan_rate_V_s=v, step_V=0.002)
    curve = simulate_cv(sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.1))
    volt, _ = apply_artifacts(curve, Artifacts(), rng=np.random.default_rng(0))
    return volt


def _arrays(e0: float = 0.1, v: float = 0.1) -> dict:
    c = _cv(e0, v)
    return {"potential": c.potential.tolist(), "current": c.current.tolist(), "scan_rate": v}


@pytest.fixture(scope="module")
def cv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("mcp") / "cv.csv"
    io.write_csv(_cv(), path)
    return str(path)


async def _exercise(client: Client, cv_path: str) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    out = tools["analyze_voltammogram"].output_schema
    assert set(out["properties"]) == set(analysis_schema()["properties"])  # the contract's own schema
    assert "curves" in tools["analyze_voltammogram"].input_schema["properties"]

    r = await client.call_tool("analyze_voltammogram", {"paths": [cv_path]})
    assert not r.is_error, r.content
    report = AnalysisReport.model_validate(r.structured_content)
    (couple,) = report.curves[0].couples
    assert couple.E_half.value == pytest.approx(0.1, abs=0.003)
    assert couple.delta_Ep.value == pytest.approx(DELTA_EP_REV, abs=0.004)

    r = await client.call_tool(
        "ask_about_voltammogram", {"question": "What is E1/2?", "curves": [_arrays(0.05)]}
    )
    a = AskAnswer.model_validate(r.structured_content)
    assert a.answered and a.evidence[0].value == pytest.approx(0.05, abs=0.003)
    r = await client.call_tool("ask_about_voltammogram", {"question": "Is it raining?", "paths": [cv_path]})
    assert AskAnswer.model_validate(r.structured_content).answered is False

    r = await client.call_tool("compare_voltammograms", {"curves": [_arrays(0.1), _arrays(0.13)]})
    cmp = CompareReport.model_validate(r.structured_content)
    assert cmp.rows[1].peak_shift_vs_reference.value == pytest.approx(0.03, abs=0.004)

    rates = [0.05, 0.1, 0.2, 0.4]
    r = await client.call_tool(
        "analyze_series",
        {"kind": "scan_rate", "curves": [_arrays(0.1, v) for v in rates], "scan_rates": rates},
    )
    s = AnalysisReport.model_validate(r.structured_content).series
    assert s.regime == "diffusion" and math.isclose(s.log_log_slope.value, 0.5, abs_tol=0.03)

    r = await client.call_tool("analyze_voltammogram", {"paths": ["/nonexistent/x.csv"]})
    assert r.is_error and "no such file" in r.content[0].text
    r = await client.call_tool("analyze_voltammogram", {"curves": [{"potential": [0, 1], "current": [1]}]})
    assert r.is_error and "current" in r.content[0].text


def test_stdio(cv_path):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "voltlens.cli", "mcp"], env=dict(os.environ)
    )

    async def main() -> None:
        async with Client(params, read_timeout_seconds=60) as client:
            await _exercise(client, cv_path)

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http(cv_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "voltlens.cli", "mcp", "--transport", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "mcp server exited"
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)

        async def main() -> None:
            async with Client(url, read_timeout_seconds=60) as client:
                await _exercise(client, cv_path)

        asyncio.run(main())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_same_numbers_as_the_library(cv_path):
    """The tool runs the library pipeline: the report equals ``voltlens.analyze`` on the same file."""
    from voltlens.analyze import analyze, report_of
    from voltlens.mcp_server import build_server

    async def main():
        async with Client(build_server()) as client:
            return (await client.call_tool("analyze_voltammogram", {"paths": [cv_path]})).structured_content

    got = asyncio.run(main())
    expected = report_of(analyze(io.read(cv_path))).model_dump(mode="json")
    assert np.isclose(
        got["curves"][0]["couples"][0]["E_half"]["value"],
        expected["curves"][0]["couples"][0]["E_half"]["value"],
    )
    assert got["curves"][0]["peaks"] == expected["curves"][0]["peaks"]
