"""Shared fixtures of the benchmark tests: one small bench built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_DIR = Path(__file__).parent.parent / "data" / "bench_real"
SMALL_N = 12
SMALL_SEED = 5


@pytest.fixture(scope="session")
def small_bench(tmp_path_factory) -> Path:
    """A bench of 12 synthetic items (seed 5) plus the 3-item real split of tests/data/bench_real."""
    from voltlens.bench.build import build_bench

    out = tmp_path_factory.mktemp("bench") / "ecb"
    build_bench(out, n=SMALL_N, seed=SMALL_SEED, real=REAL_DIR)
    return out
