"""Helpers of the API tests: a real ``uvicorn`` server process on 127.0.0.1 for the API tests, and simulated voltammogram files.

The server runs ``voltlens.api.app:app_from_env`` in a subprocess on a free loopback port with
small limits (so the limit tests stay fast) and is terminated (then killed) at teardown.
"""

from __future__ import annotations

import io as _io
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import httpx
import numpy as np

from voltlens.simulate import Cell, CVWaveform, Reversible, simulate_cv

AREA, D = 7.07e-6, 1e-9
LIMITS = {
    "VOLTLENS_API_MAX_REQUEST_BYTES": str(2 * 1024 * 1024),
    "VOLTLENS_API_MAX_POINTS": "20000",
    "VOLTLENS_API_MAX_IMAGE_PIXELS": "4000000",
    "VOLTLENS_API_MAX_FILES": "8",
    "VOLTLENS_API_TIMEOUT_S": "30",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def alive(self) -> bool:
        return self.process.poll() is None


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0, headers=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=2, headers=headers).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    log = getattr(process, "log", None)
    if log is not None:
        log.close()


def start_server(extra_env: dict[str, str] | None = None, args: list[str] | None = None) -> Server:
    port = free_port()
    env = {**os.environ, **LIMITS, **(extra_env or {})}
    cmd = args or [
        sys.executable,
        "-m",
        "uvicorn",
        "voltlens.api.app:app_from_env",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    log = tempfile.TemporaryFile()  # a pipe could fill up and block the server
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
    except BaseException:
        stop(process)
        raise
    return Server(url, process)


def cv_csv(*, e0=0.1, v=0.1, conc=1.0, noise=0.0, seed=0) -> bytes:
    """A simulated reversible CV (Reversible couple at ``e0``) as voltlens CSV bytes."""
    from voltlens.simulate import Artifacts, apply_artifacts

    sp = Reversible(e0_V=e0, concentration_mol_m3=conc, diffusion_m2_s=D)
    curve = simulate_cv(
        sp,
        CVWaveform(start_V=e0 - 0.35, vertex_V=e0 + 0.35, scan_rate_V_s=v, step_V=0.002),
        Cell(area_m2=AREA, cdl_F_m2=0.1),
    )
    volt, _ = apply_artifacts(curve, Artifacts(noise_rms_A=noise), rng=np.random.default_rng(seed))
    buf = _io.StringIO()
    buf.write("potential_V,current_A\n")
    np.savetxt(buf, np.column_stack([volt.potential, volt.current]), fmt="%.12g", delimiter=",")
    return buf.getvalue().encode()


def cv_arrays(**kw) -> dict:
    """The same curve as a JSON ``CurveIn``."""
    text = cv_csv(**kw).decode().splitlines()[1:]
    e, i = zip(*(map(float, line.split(",")) for line in text), strict=True)
    return {"potential": list(e), "current": list(i), "technique": "CV", "scan_rate": kw.get("v", 0.1)}


def png_bytes(w: int = 200, h: int = 150) -> bytes:
    from PIL import Image

    buf = _io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, format="PNG")
    return buf.getvalue()
