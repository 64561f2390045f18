"""Reserved seed ranges: training data and the benchmark never share a simulated sample.

Every synthetic sample is drawn from ``SeedSequence([seed, index])``.  Dataset seeds in
``[0, BENCH_SEED_OFFSET)`` belong to training builds (``voltlens dataset build``); seeds from
``BENCH_SEED_OFFSET`` up belong to the benchmark (``voltlens bench build``), which maps its own
seed ``s`` to ``bench_seed(s) = BENCH_SEED_OFFSET + s``.  Because the seed is the first word of
the sequence, no (seed, index) pair of one range can equal one of the other.
"""

from __future__ import annotations

from ..errors import ParameterError

__all__ = ["BENCH_SEED_OFFSET", "bench_seed", "check_training_seed", "is_bench_seed"]

BENCH_SEED_OFFSET = 1_000_000_000


def is_bench_seed(seed: int) -> bool:
    """True when ``seed`` lies in the range reserved for the benchmark."""
    return seed >= BENCH_SEED_OFFSET


def bench_seed(seed: int) -> int:
    """The dataset seed the benchmark uses for its own seed ``seed`` (≥ 0)."""
    if seed < 0:
        raise ParameterError("seed", seed, "a whole number ≥ 0")
    return BENCH_SEED_OFFSET + seed


def check_training_seed(seed: int, *, name: str = "--seed") -> int:
    """``seed`` if a training build may use it; otherwise a ParameterError naming the range."""
    if seed < 0 or is_bench_seed(seed):
        raise ParameterError(
            name,
            seed,
            f"0 ≤ seed < {BENCH_SEED_OFFSET} (seeds from {BENCH_SEED_OFFSET} up are the benchmark's)",
        )
    return seed
