"""``voltlens bench``: build ECBench, run a backend on it, report and compare runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..errors import DataError, ParameterError

bench_app = typer.Typer(help="ECBench: build the benchmark, run an analyser on it, report and compare runs.")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


@bench_app.command("build", help="Render the benchmark's figures and write its items into DIR.")
def build(
    out: Annotated[Path, typer.Option("--out", help="bench directory")],
    n: Annotated[int, typer.Option("--n", help="number of synthetic items")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="bench seed (mapped to the reserved range)")] = 0,
    spec: Annotated[Path | None, typer.Option("--spec", help="bench spec YAML (default ECBench v1)")] = None,
    workers: Annotated[int, typer.Option("--workers", help="parallel worker processes")] = 1,
    real: Annotated[
        list[Path] | None,
        typer.Option("--real", help="directory of real figures with labels.yaml (repeatable)"),
    ] = None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..bench.build import build_bench
    from ..bench.spec import load_spec

    if seed < 0:
        raise ParameterError("--seed", seed, "a whole number ≥ 0")
    if workers < 1:
        raise ParameterError("--workers", workers, "at least 1")
    loaded = load_spec(spec)
    for r in real or []:
        if not (r / "labels.yaml").is_file():
            raise DataError(str(r), "has no labels.yaml (see docs/bench.md)", field="--real")
    columns = (TextColumn("figures"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("figures", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = build_bench(
            out, n=n, seed=seed, spec=loaded, workers=workers, real=real or None, on_progress=on_progress
        )
    skills = ", ".join(f"{k} {v}" for k, v in result.skills.items())
    splits = ", ".join(f"{k} {v}" for k, v in result.splits.items())
    typer.echo(
        f"{result.n_items} items on {result.n_figures} figures in {out} ({splits}; {skills})", err=True
    )


@bench_app.command(
    "add-real", help="Add (or replace) a split of real figures (REAL_DIR/labels.yaml) in a bench."
)
def add_real_cmd(
    bench_dir: Annotated[Path, typer.Argument(help="bench directory (voltlens bench build)")],
    real_dir: Annotated[Path, typer.Argument(help="directory of real figures with labels.yaml")],
) -> None:
    from ..bench.build import add_real

    if not (bench_dir / "items.jsonl").is_file():
        raise DataError(str(bench_dir), "is not a bench directory (no items.jsonl)", field="BENCH_DIR")
    if not (real_dir / "labels.yaml").is_file():
        raise DataError(str(real_dir), "has no labels.yaml (see docs/bench.md)", field="REAL_DIR")
    result = add_real(bench_dir, real_dir)
    splits = ", ".join(f"{k} {v}" for k, v in result.splits.items())
    typer.echo(f"{result.n_items} items in {bench_dir} ({splits})", err=True)


@bench_app.command("run", help="Ask a backend every item of the bench in BENCH_DIR and score the answers.")
def run(
    bench_dir: Annotated[Path, typer.Argument(help="bench directory (voltlens bench build)")],
    backend: Annotated[
        str, typer.Option("--backend", help="engine, openai, transformers, replay, …")
    ] = "engine",
    model: Annotated[str | None, typer.Option("--model", help="model name or checkpoint folder")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible server URL")] = None,
    api_key_env: Annotated[
        str, typer.Option("--api-key-env", help="environment variable holding the API key")
    ] = "OPENAI_API_KEY",
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="predictions JSONL, for --backend replay")
    ] = None,
    device: Annotated[str | None, typer.Option("--device", help="torch device, for transformers")] = None,
    workers: Annotated[int, typer.Option("--workers", help="worker processes for local backends")] = 1,
    concurrency: Annotated[int, typer.Option("--concurrency", help="concurrent requests to a server")] = 4,
    limit: Annotated[int | None, typer.Option("--limit", help="only the first N items")] = None,
    ids: Annotated[
        str | None,
        typer.Option("--ids", help="only these items or figures: comma-separated item or sample ids"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="run directory (default BENCH_DIR/runs/…)")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ignore and do not write the cache")] = False,
    item_timeout: Annotated[
        float,
        typer.Option("--item-timeout", help="seconds one item may take a local backend (0: no limit)"),
    ] = 120.0,
) -> None:
    from ..bench.backends import get_backend
    from ..bench.run import run_bench

    if not (bench_dir / "items.jsonl").is_file():
        raise DataError(str(bench_dir), "is not a bench directory (no items.jsonl)", field="BENCH_DIR")
    if predictions is not None and not predictions.is_file():
        raise DataError(str(predictions), "no such predictions file", field="--predictions")
    options = {
        "model": model,
        "base_url": base_url,
        "api_key": os.environ.get(api_key_env) or None,
        "predictions": None if predictions is None else str(predictions),
        "device": device,
    }
    chosen = get_backend(backend, **options)
    summary = run_bench(
        bench_dir,
        chosen,
        out=out,
        workers=workers,
        concurrency=concurrency,
        limit=limit,
        ids=None if ids is None else ids.split(","),
        use_cache=not no_cache,
        progress=True,
        item_timeout=item_timeout or None,
        options={k: v for k, v in options.items() if k != "api_key"},
    )
    typer.echo(_table(summary))
    typer.echo(f"run written to {summary['run_dir']}", err=True)


def _table(summary: dict) -> str:
    lo, hi = summary["ci95"]
    lines = [
        f"{summary['backend']}{' / ' + summary['model'] if summary.get('model') else ''}: "
        f"accuracy {summary['accuracy']:.1%} [{lo:.1%}, {hi:.1%}] on {summary['n_items']} items",
        f"{'skill':20s} {'n':>5s} {'accuracy':>9s}  95% CI",
    ]
    for skill, s in summary["skills"].items():
        lines.append(
            f"{skill:20s} {s['n']:5d} {s['accuracy']:9.1%}  [{s['ci95'][0]:.1%}, {s['ci95'][1]:.1%}]"
        )
    if summary["failure_modes"]:
        lines.append("failure modes: " + ", ".join(f"{k} {v}" for k, v in summary["failure_modes"].items()))
    return "\n".join(lines)


@bench_app.command("report", help="Write one self-contained HTML report of the run in RUN_DIR.")
def report(
    run_dir: Annotated[Path, typer.Argument(help="run directory (voltlens bench run)")],
    bench: Annotated[
        Path | None, typer.Option("--bench", help="bench directory (default from run.json)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="HTML file (default RUN_DIR/report.html)")] = None,
) -> None:
    from ..bench.report import write_report

    if not (run_dir / "predictions.jsonl").is_file():
        raise DataError(str(run_dir), "is not a run directory (no predictions.jsonl)", field="RUN_DIR")
    path = write_report(run_dir, bench_dir=bench, out=out)
    typer.echo(str(path))


@bench_app.command("compare", help="List regressions and improvements item by item between two runs.")
def compare(
    run_a: Annotated[Path, typer.Argument(help="the baseline run directory")],
    run_b: Annotated[Path, typer.Argument(help="the run compared with it")],
) -> None:
    from ..bench.compare import compare_runs, format_comparison

    for r, name in ((run_a, "RUN_A"), (run_b, "RUN_B")):
        if not (r / "predictions.jsonl").is_file():
            raise DataError(str(r), "is not a run directory (no predictions.jsonl)", field=name)
    typer.echo(format_comparison(compare_runs(run_a, run_b)))
