"""Entry point of the ``voltlens`` command: registers sub-commands, turns user errors into one line.

Every sub-command module exposes ``register(app)``; a :class:`~voltlens.errors.VoltlensError`
anywhere below becomes ``voltlens: <message>`` on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from ..errors import VoltlensError

app = typer.Typer(
    name="voltlens",
    help="Read cyclic and differential pulse voltammetry the way an expert does.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


COMMAND_MODULES = (
    "analyze_cmd",
    "simulate_cmd",
    "synth_cmd",
    "convert_cmd",
    "schema_cmd",
    "serve_cmd",
    "mcp_cmd",
    "dataset_cmd",
    "train_cmd",
    "bench_cmd",
)


def _register_all() -> None:
    import importlib

    if app.registered_commands or app.registered_groups:
        return
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(app)


def fail(message: str) -> None:
    """Print a one-line user error and exit 2."""
    sys.stderr.write(f"voltlens: {message}\n")
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    _register_all()
    try:
        app(args=argv, standalone_mode=True)
    except VoltlensError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
