"""``voltlens bench``: sub-commands, and bad input as one line naming the file, field or value (exit 2)."""

from __future__ import annotations

import pytest
import yaml

from voltlens.bench.spec import DEFAULT_SPEC
from voltlens.cli.main import main


def _fail(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("voltlens: "), err
    return err


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for sub in ("build", "run", "report", "compare"):
        assert sub in out


def test_build_bad_input(tmp_path, capsys):
    assert "--n=0" in _fail(["bench", "build", "--out", str(tmp_path / "b"), "--n", "0"], capsys)
    assert "--seed=-1" in _fail(["bench", "build", "--out", str(tmp_path / "b"), "--seed", "-1"], capsys)
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data["questions_per_figure"] = 99
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data))
    err = _fail(["bench", "build", "--out", str(tmp_path / "b"), "--spec", str(spec)], capsys)
    assert str(spec) in err and "questions_per_figure=99" in err
    err = _fail(["bench", "build", "--out", str(tmp_path / "b"), "--real", str(tmp_path)], capsys)
    assert str(tmp_path) in err and "labels.yaml" in err


def test_build_cli_writes_a_bench(tmp_path, capsys):
    out = tmp_path / "b"
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "build", "--out", str(out), "--n", "3", "--seed", "2"])
    assert exit_.value.code == 0
    assert "3 items" in capsys.readouterr().err
    assert (
        (out / "items.jsonl").is_file()
        and (out / "bench.json").is_file()
        and (out / "labels.jsonl").is_file()
    )


def test_run_bad_input(small_bench, tmp_path, capsys):
    err = _fail(["bench", "run", str(tmp_path)], capsys)
    assert str(tmp_path) in err and "bench directory" in err
    assert "--backend='nope'" in _fail(["bench", "run", str(small_bench), "--backend", "nope"], capsys)
    assert "--predictions" in _fail(["bench", "run", str(small_bench), "--backend", "replay"], capsys)
    assert "--base-url" in _fail(["bench", "run", str(small_bench), "--backend", "openai"], capsys)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    err = _fail(["bench", "run", str(small_bench), "--backend", "replay", "--predictions", str(bad)], capsys)
    assert str(bad) in err and "line 1" in err
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "x", "raw": "{}"}\n')
    args = ["bench", "run", str(small_bench), "--backend", "replay", "--predictions", str(good)]
    assert "--limit=0" in _fail([*args, "--limit", "0"], capsys)
    assert "--workers=0" in _fail([*args, "--workers", "0"], capsys)
    assert "--ids='nope'" in _fail([*args, "--ids", "nope"], capsys)


def test_report_and_compare_refuse_non_run_dirs(tmp_path, capsys):
    err = _fail(["bench", "report", str(tmp_path)], capsys)
    assert str(tmp_path) in err and "run directory" in err
    err = _fail(["bench", "compare", str(tmp_path), str(tmp_path)], capsys)
    assert "RUN_A" in err
