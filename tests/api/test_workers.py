"""``voltlens serve --workers 2`` as a real process tree: killing the workers mid-request loses only the requests
they held (a closed connection, never a partial response), and the supervisor brings the service back."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from apihelpers import cv_csv, start_server, stop

from voltlens.analyze.contract import AnalysisReport


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _workers(master: int) -> list[int]:
    """uvicorn's worker processes (children of the master that are Python interpreters)."""
    out = []
    for pid in _children(master):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"python" in cmd and b"resource_tracker" not in cmd:
            out.append(pid)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_workers_mid_request_recovers_without_partial_responses():
    srv = start_server(
        args=[sys.executable, "-m", "voltlens.cli", "serve", "--port", "{port}", "--workers", "2"],
    )
    files = [("files", (f"cv{k}.csv", cv_csv(v=v))) for k, v in enumerate([0.05, 0.1, 0.2, 0.4, 0.8, 1.6])]
    outcomes: list[object] = []

    def client() -> None:
        for _ in range(4):
            try:
                r = httpx.post(f"{srv.url}/v1/analyze", files=files, timeout=60)
                AnalysisReport.model_validate_json(r.content) if r.status_code == 200 else r.json()["error"]
                outcomes.append(r.status_code)
            except httpx.TransportError as exc:  # the connection closed: no response at all
                outcomes.append(type(exc).__name__)

    try:
        deadline = time.monotonic() + 20
        while len(_workers(srv.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        before = _workers(srv.process.pid)
        assert len(before) == 2
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.6)  # requests are in flight
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        for t in threads:
            t.join(timeout=120)
        # every outcome is a full valid response or a connection error: never a truncated 200
        assert all(o == 200 or isinstance(o, str) for o in outcomes), outcomes
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _workers(srv.process.pid)
            if len(now) == 2 and not set(now) & set(before):
                try:
                    if httpx.get(f"{srv.url}/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            time.sleep(0.3)
        else:
            pytest.fail("the workers were not replaced")
        for _ in range(4):  # both new workers serve
            r = httpx.post(f"{srv.url}/v1/analyze", files=files[:1], timeout=60)
            assert r.status_code == 200
    finally:
        stop(srv.process)
    assert srv.process.returncode is not None
