"""Load test of ``voltlens serve`` on loopback: throughput, latency percentiles, errors and server RSS.

Starts ``voltlens serve --workers W`` on 127.0.0.1 (never any other address), then N concurrent clients
post a mix of data files (simulated CVs as CSV, plus the real instrument files in tests/data) and, when
the server can digitise, plot images, for a bounded time and a bounded number of requests.  Reports
requests/s, p50/p95/p99 latency, the error count and the server's resident memory (master + workers)
sampled over the run.

    python benchmarks/bench_load.py --workers 2 --clients 8 --seconds 20
    python benchmarks/bench_load.py --workers 2 --clients 8 --seconds 20 --rate 40   # open loop, fixed rate

``--rate`` sends at a fixed rate (e.g. 80% of the measured closed-loop throughput) to check p99 < 3×p50.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MAX_SECONDS = 300
MAX_REQUESTS = 100_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """``pid`` and its direct children (uvicorn's worker processes)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _rss_kib(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server and its workers."""
    ticks = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def _data_files() -> list[tuple[str, bytes]]:
    from voltlens import io as vio
    from voltlens.simulate import Artifacts, Cell, CVWaveform, Reversible, apply_artifacts, simulate_cv

    files = []
    for k, (e0, v) in enumerate([(0.1, 0.1), (0.0, 0.05), (0.2, 0.5), (-0.1, 0.2)]):
        sp = Reversible(e0_V=e0, concentration_mol_m3=1.0, diffusion_m2_s=1e-9)
        wave = CVWaveform(start_V=e0 - 0.35, vertex_V=e0 + 0.35, scan_rate_V_s=v, step_V=0.002)
        curve = simulate_cv(sp, wave, Cell(area_m2=7.07e-6, cdl_F_m2=0.1))
        volt, _ = apply_artifacts(curve, Artifacts(noise_rms_A=2e-8), rng=np.random.default_rng(k))
        path = Path(f"/tmp/voltlens-bench-{os.getpid()}-{k}.csv")
        vio.write_csv(volt, path)
        files.append((f"sim{k}.csv", path.read_bytes()))
        path.unlink()
    for rel in ("chi/nomad_CV-1T_CHI760E.txt", "gamry/nomad_CV.DTA"):
        p = ROOT / "tests/data/real" / rel
        if p.exists():
            files.append((p.name, p.read_bytes()))
    return files


def _image_files(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Plots of the simulated curves rendered with matplotlib (what a digitizer would read)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = []
    for name, data in files[:2]:
        e, i = np.loadtxt(io.BytesIO(data), delimiter=",", skiprows=1, unpack=True)[:2]
        fig = Figure(figsize=(5, 3.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(e, i * 1e6, "k-")
        ax.set_xlabel("E / V")
        ax.set_ylabel("i / µA")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        out.append((name.replace(".csv", ".png"), buf.getvalue()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument(
        "--rate", type=float, default=None, help="open loop: requests/s in total (default: closed)"
    )
    ap.add_argument("--images", type=float, default=None, help="fraction of image requests (default: auto)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    max_requests = min(args.max_requests, MAX_REQUESTS)

    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "voltlens.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen([*cmd, "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{url}/v1/health", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        if health is None:
            raise SystemExit("server did not start")
        time.sleep(2.0)  # let every worker finish its warm-up
        data = _data_files()
        images = _image_files(data) if health["image_analysis"] else []
        image_share = args.images if args.images is not None else (0.2 if images else 0.0)
        rng = np.random.default_rng(0)

        latencies: dict[str, list[float]] = {"data": [], "image": []}
        errors: list[str] = []
        rss: list[tuple[float, int]] = []
        lock = threading.Lock()
        sent = 0
        cpu0, client_cpu0 = _cpu_s(server.pid), time.process_time()
        t0 = time.monotonic()
        stop_at = t0 + seconds

        def one(client: httpx.Client, k: int) -> None:
            kind = "image" if images and rng.random() < image_share else "data"
            name, body = (images if kind == "image" else data)[k % len(images if kind == "image" else data)]
            start = time.perf_counter()
            try:
                r = client.post("/v1/analyze", files=[("files", (name, body))])
                ok = r.status_code == 200 and json.loads(r.content)["schema_version"] == "1"
                problem = None if ok else f"{r.status_code} {r.text[:120]}"
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            dt = time.perf_counter() - start
            with lock:
                (errors.append(problem) if problem else latencies[kind].append(dt))

        def worker(index: int) -> None:
            nonlocal sent
            with httpx.Client(base_url=url, timeout=60) as client:
                k = index
                next_at = t0 + index / args.rate if args.rate else t0  # staggered starts
                while time.monotonic() < stop_at:
                    with lock:
                        if sent >= max_requests:
                            return
                        sent += 1
                    if args.rate:
                        next_at += args.clients / args.rate
                        delay = next_at - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    one(client, k)
                    k += args.clients

        def sampler() -> None:
            while time.monotonic() < stop_at:
                rss.append((time.monotonic() - t0, _rss_kib(server.pid)))
                time.sleep(0.5)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
        threads.append(threading.Thread(target=sampler))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        server_cpu, client_cpu = _cpu_s(server.pid) - cpu0, time.process_time() - client_cpu0
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    def pct(xs: list[float], q: float) -> float | None:
        return float(np.percentile(xs, q) * 1e3) if xs else None

    allx = latencies["data"] + latencies["image"]
    third = max(1, len(rss) // 3)
    result = {
        "workers": args.workers,
        "clients": args.clients,
        "rate_target": args.rate,
        "seconds": round(elapsed, 2),
        "requests_ok": len(allx),
        "errors": len(errors),
        "first_errors": errors[:3],
        "throughput_per_s": round(len(allx) / elapsed, 2),
        "data_per_s": round(len(latencies["data"]) / elapsed, 2),
        "image_per_s": round(len(latencies["image"]) / elapsed, 2),
        "p50_ms": pct(allx, 50),
        "p95_ms": pct(allx, 95),
        "p99_ms": pct(allx, 99),
        "data_p50_ms": pct(latencies["data"], 50),
        "image_p50_ms": pct(latencies["image"], 50),
        "rss_mib_first_third": round(statistics.mean(r for _, r in rss[:third]) / 1024, 1) if rss else None,
        "rss_mib_last_third": round(statistics.mean(r for _, r in rss[-third:]) / 1024, 1) if rss else None,
        "rss_mib_max": round(max(r for _, r in rss) / 1024, 1) if rss else None,
        # resident memory in tenths of the run: flat after warm-up means no leak
        "rss_mib_by_tenth": [
            round(statistics.mean(r for _, r in part) / 1024, 1)
            for part in (rss[k * len(rss) // 10 : (k + 1) * len(rss) // 10] for k in range(10))
            if part
        ],
        "image_analysis": bool(images),
        # CPU per request is what the machine's load does not change much: capacity ≈ cores / (cpu per request)
        "server_cpu_ms_per_request": round(1e3 * server_cpu / max(1, len(allx)), 2),
        "client_cpu_ms_per_request": round(1e3 * client_cpu / max(1, len(allx)), 2),
        "server_capacity_per_s_2_cores": round(2 * max(1, len(allx)) / server_cpu, 1) if server_cpu else None,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key:>22}: {value if not isinstance(value, float) else round(value, 2)}")


if __name__ == "__main__":
    main()
