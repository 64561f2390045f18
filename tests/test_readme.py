"""The README's Python example runs as written and says what the README says it does."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_the_python_example_runs_and_reads_both_couples(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks, "no Python example in the README"
    example = blocks[0]
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        for code in (
            example,
            example.replace('read("examples/two_couples_cv.csv")', 'digitize("examples/two_couples_cv.png")'),
        ):
            scope: dict = {}
            exec(compile(code, "README.md", "exec"), scope)
            couples = scope["result"].curves[0].couples
            assert [c.reversibility for c in couples] == ["reversible", "quasi-reversible"]
            assert [c.e_half.value for c in couples] == pytest.approx([0.050, 0.554], abs=0.003)
    finally:
        os.chdir(old)
    out = capsys.readouterr().out
    assert '"schema_version": "1"' in out and "Couple" in out
