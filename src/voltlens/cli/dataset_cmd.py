"""``voltlens dataset``: build templated VLM fine-tuning datasets; list the question templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

dataset_app = typer.Typer(help="Build VLM fine-tuning datasets of rendered voltammograms and questions.")


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")


@dataset_app.command(
    "build", help="Render figures and write N question–answer items, split and exported, into DIR."
)
def build(
    n: Annotated[int, typer.Option("--n", help="number of question–answer items")],
    out: Annotated[Path, typer.Option("--out", help="output directory")],
    seed: Annotated[int, typer.Option("--seed", help="dataset seed (below the benchmark's range)")] = 0,
    mix: Annotated[
        Path | None, typer.Option("--mix", help="YAML mixing ratios (skills, synth fields)")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="parallel worker processes")] = 1,
    shard: Annotated[str | None, typer.Option("--shard", help="i/N: render only shard i of N")] = None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..dataset.builder import build_dataset, load_mix
    from ..dataset.seeds import check_training_seed
    from ..synth.runner import parse_shard

    check_training_seed(seed)
    loaded = load_mix(mix)
    shard_ix = parse_shard(shard)
    columns = (TextColumn("figures"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("figures", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = build_dataset(
            n, out, seed=seed, mix=loaded, workers=workers, shard=shard_ix, on_progress=on_progress
        )
    if not result.complete:
        typer.echo(
            f"figures of shard {shard} done in {out}; QA stage runs when every shard is done", err=True
        )
        return
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    typer.echo(f"{result.n_items} items on {result.n_images} figures in {out} ({counts})", err=True)


@dataset_app.command(
    "templates", help="List the question templates: id, skill, figure kinds, one paraphrase."
)
def templates() -> None:
    from ..dataset.templates import TEMPLATES

    for t in TEMPLATES.values():
        typer.echo(f"{t.id:24s} {t.skill:18s} {','.join(t.kinds):40s} {t.paraphrases[0]}")
