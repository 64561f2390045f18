"""Templated question–answer datasets for teaching a vision-language model to read voltammograms.

* :mod:`voltlens.dataset.templates` — the template registry (shared with the benchmark);
* :mod:`voltlens.dataset.builder` — ``voltlens dataset build``: render, ask, split, export;
* :mod:`voltlens.dataset.seeds` — the seed ranges reserved for training and for the benchmark.
"""

from .seeds import BENCH_SEED_OFFSET, bench_seed, check_training_seed, is_bench_seed
from .templates import QA, SKILLS, TEMPLATES, Template, generate_qa, quantity

__all__ = [
    "BENCH_SEED_OFFSET",
    "QA",
    "SKILLS",
    "TEMPLATES",
    "Template",
    "bench_seed",
    "check_training_seed",
    "generate_qa",
    "is_bench_seed",
    "quantity",
]
