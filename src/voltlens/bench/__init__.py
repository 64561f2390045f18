"""ECBench: a versioned, skill-by-skill benchmark of voltammogram reading for any analyser.

* :mod:`voltlens.bench.spec` — the versioned YAML spec (figure mix, skill weights);
* :mod:`voltlens.bench.build` — ``voltlens bench build``: figures, items, real splits;
* :mod:`voltlens.bench.answers` — tolerant parsing of JSON and free-text answers;
* :mod:`voltlens.bench.scoring` — tolerances, peak matching, failure modes, summaries;
* :mod:`voltlens.bench.backends` — the backend registry (``openai``, ``transformers``, ``replay``);
* :mod:`voltlens.bench.run` — ``voltlens bench run``: parallel, cached, scored runs.

Formats and interfaces: ``docs/dev/bench-format.md``; user guide: ``docs/bench.md``.
"""
