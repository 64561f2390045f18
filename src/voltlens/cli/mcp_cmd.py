"""``voltlens mcp``: serve the voltlens tools to LLM agents over MCP (stdio, or streamable HTTP on loopback)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import ConfigError, ParameterError


def register(app: typer.Typer) -> None:
    app.command("mcp", help="Serve analyze/ask/compare/series as MCP tools (stdio or streamable HTTP).")(mcp)


def mcp(
    transport: Annotated[str, typer.Option("--transport", help="stdio | http (streamable HTTP)")] = "stdio",
    host: Annotated[str, typer.Option("--host", help="address to bind for http")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port for http")] = 8765,
    path: Annotated[str, typer.Option("--path", help="endpoint path for http")] = "/mcp",
) -> None:
    if transport not in ("stdio", "http"):
        raise ParameterError("--transport", transport, "stdio or http")
    try:
        from ..mcp_server import build_server, run_http
    except ImportError as exc:
        raise ConfigError("voltlens mcp", "dependencies", exc.name, "pip install 'voltlens[api]'") from None
    server = build_server()
    if transport == "stdio":
        server.run("stdio")
    else:
        run_http(server, host=host, port=port, path=path)
