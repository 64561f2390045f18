"""``voltlens serve``: run the REST API (FastAPI + uvicorn) on 127.0.0.1 unless told otherwise.

Settings reach each worker process through ``VOLTLENS_API_*`` environment variables (see
:class:`voltlens.api.ApiSettings`); the API key is read from the environment variable named by
``--api-key-env`` so it never appears in the process list.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ..errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("serve", help="Run the REST API (POST /v1/analyze, /v1/ask, /v1/compare, /v1/series).")(serve)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="address to bind; 0.0.0.0 exposes it to the network")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="worker processes (each loads the models once)")
    ] = 1,
    backend: Annotated[
        str, typer.Option("--backend", help="ask backend: engine | openai | hybrid")
    ] = "engine",
    api_key_env: Annotated[
        str | None, typer.Option("--api-key-env", help="require the X-API-Key header equal to this variable")
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="allow browser calls from this origin (repeatable)"),
    ] = None,
    max_request_mb: Annotated[float, typer.Option("--max-request-mb", help="largest request body")] = 20.0,
    max_points: Annotated[int, typer.Option("--max-points", help="most points per curve")] = 200_000,
    max_image_pixels: Annotated[int, typer.Option("--max-image-pixels", help="largest image")] = 25_000_000,
    timeout_s: Annotated[
        float, typer.Option("--timeout-s", help="time limit of one request's analysis")
    ] = 60.0,
    log_level: Annotated[str, typer.Option("--log-level")] = "warning",
) -> None:
    try:
        import uvicorn
    except ImportError:
        raise ConfigError(
            "voltlens serve", "dependencies", "uvicorn", "pip install 'voltlens[api]'"
        ) from None
    from ..api.settings import ApiSettings

    api_key = None
    if api_key_env is not None:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ConfigError(
                "environment", api_key_env, None, "a non-empty API key (named by --api-key-env)"
            )
    settings = ApiSettings(
        host=host,
        port=port,
        workers=workers,
        backend=backend,  # type: ignore[arg-type]
        api_key=api_key,
        cors_origins=tuple(cors_origin or ()),
        max_request_bytes=int(max_request_mb * 1024 * 1024),
        max_points=max_points,
        max_image_pixels=max_image_pixels,
        timeout_s=timeout_s,
    )
    os.environ.update(settings.to_env())
    uvicorn.run(
        "voltlens.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=5,
    )
