"""``voltlens train``: fine-tune Qwen2.5-VL with ms-swift from a YAML recipe; merge; serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

train_app = typer.Typer(
    help="Fine-tune a VLM with ms-swift (`voltlens train --config C.yaml`), merge LoRA, serve it.",
    invoke_without_command=True,
)

ConfigOpt = Annotated[Path, typer.Option("--config", help="training recipe YAML (see src/voltlens/configs)")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="print the command instead of running it")]


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


def _emit(cmd, dry_run: bool) -> bool:
    typer.echo(cmd.shell(), err=not dry_run)
    return not dry_run


@train_app.callback()
def train(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="training recipe YAML")] = None,
    dry_run: DryRunOpt = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from ..errors import ParameterError
    from ..train.recipe import load_train_config, sft_command
    from ..train.run import pin_max_pixels, run_command

    if config is None:
        raise ParameterError("--config", None, "a training recipe YAML")
    cfg, base = load_train_config(config)
    cmd = sft_command(cfg, base)
    if not _emit(cmd, dry_run):
        return
    out = (base / cfg.output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "voltlens_train.json").write_text(
        json.dumps(
            {"config": cfg.model_dump(mode="json"), "command": list(cmd.argv), "env": cmd.env}, indent=2
        )
    )
    run_command(cmd)
    pin_max_pixels(out, cfg.max_pixels)


@train_app.command(
    "config", help="Print a shipped config (qwen2_5_vl_3b, qwen2_5_vl_7b, dataset_mix_example)."
)
def config(name: Annotated[str, typer.Argument(help="config name")]) -> None:
    from ..train.recipe import shipped_config_text

    typer.echo(shipped_config_text(name), nl=False)


@train_app.command(
    "merge", help="Merge the LoRA adapters of the latest (or a given) checkpoint into the model."
)
def merge(
    config: ConfigOpt,
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="checkpoint folder")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="merged model folder")] = None,
    dry_run: DryRunOpt = False,
) -> None:
    from ..errors import DataError
    from ..train.recipe import latest_checkpoint, load_train_config, merge_command
    from ..train.run import pin_max_pixels, run_command

    cfg, base = load_train_config(config)
    output_dir = (base / cfg.output_dir).resolve()
    ckpt = checkpoint or latest_checkpoint(output_dir)
    if ckpt is None:
        if not dry_run:
            raise DataError(str(output_dir), "holds no checkpoint-N folder; train first or pass --checkpoint")
        ckpt = output_dir / "checkpoint-N"
    target = (out or output_dir / "merged").resolve()
    cmd = merge_command(cfg, base, checkpoint=ckpt.resolve(), out=target)
    if _emit(cmd, dry_run):
        run_command(cmd)
        pin_max_pixels(target, cfg.max_pixels)


@train_app.command(
    "serve", help="Serve a merged model on an OpenAI-compatible endpoint (swift deploy or vLLM)."
)
def serve(
    config: ConfigOpt,
    model: Annotated[Path | None, typer.Option("--model", help="merged model folder")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="swift or vllm")] = None,
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
    dry_run: DryRunOpt = False,
) -> None:
    from ..train.recipe import ServeConfig, load_train_config, serve_command
    from ..train.run import run_command

    cfg, base = load_train_config(config)
    updates = {k: v for k, v in {"backend": backend, "host": host, "port": port}.items() if v is not None}
    s = ServeConfig.model_validate({**cfg.serve.model_dump(), **updates})
    target = (model or (base / cfg.output_dir / "merged")).resolve()
    cmd = serve_command(cfg, model=str(target), serve=s)
    if _emit(cmd, dry_run):
        run_command(cmd)
