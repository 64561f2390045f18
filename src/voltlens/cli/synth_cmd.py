"""``voltlens synth``: write simulated, rendered voltammograms with exact labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("synth", help="Simulate and render N labelled voltammogram figures into DIR.")(synth)


def synth(
    n: Annotated[int, typer.Option("--n", help="number of samples in the whole dataset")],
    out: Annotated[Path, typer.Option("--out", help="output directory")],
    seed: Annotated[int, typer.Option("--seed", help="dataset seed")] = 0,
    workers: Annotated[int, typer.Option("--workers", help="parallel worker processes")] = 1,
    config: Annotated[Path | None, typer.Option("--config", help="YAML mixing configuration")] = None,
    shard: Annotated[str | None, typer.Option("--shard", help="i/N: write only shard i of N")] = None,
    contact_sheet: Annotated[
        Path | None, typer.Option("--contact-sheet", help="PNG grid of the first samples")
    ] = None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..synth.config import load_config
    from ..synth.runner import parse_shard, run_synth

    cfg = load_config(config)
    shard_ix = parse_shard(shard)
    columns = (TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("synth", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = run_synth(
            n, out, seed=seed, config=cfg, workers=workers, shard=shard_ix, on_progress=on_progress
        )
    state = (
        "labels.jsonl written" if result.complete else "other shards pending; labels.jsonl not yet written"
    )
    typer.echo(f"{result.written} written, {result.skipped} already done in {out} ({state})", err=True)
    if contact_sheet is not None:
        from ..synth.sheet import write_contact_sheet

        write_contact_sheet(out, contact_sheet)
        typer.echo(f"contact sheet: {contact_sheet}", err=True)
