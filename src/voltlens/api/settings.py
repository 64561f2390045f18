"""Settings of the REST API server: where it binds, what it accepts and who may call it.

:class:`ApiSettings` is a frozen record; :meth:`ApiSettings.from_env` reads ``VOLTLENS_API_*``
environment variables (how ``voltlens serve --workers N`` hands the settings to each worker
process) and :meth:`ApiSettings.to_env` writes them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError

__all__ = ["BACKENDS", "ApiSettings"]

BACKENDS = ("engine", "openai", "hybrid")
_PREFIX = "VOLTLENS_API_"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Limits default to what a lab agent needs and a 2-core machine can serve.

    ``api_key`` (None: no key) is compared with the ``X-API-Key`` header; ``cors_origins`` empty
    means no CORS headers at all.  ``timeout_s`` bounds the analysis of one request;
    ``max_concurrency`` the analyses running at once in one worker.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    backend: Literal["engine", "openai", "hybrid"] = "engine"
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_request_bytes: int = 20 * 1024 * 1024
    max_files: int = 32
    max_curves: int = 64
    max_points: int = 200_000
    max_image_pixels: int = 25_000_000
    timeout_s: float = 60.0
    max_concurrency: int = 4
    openai_model: str = "gpt-4o-mini"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError("settings", "backend", self.backend, f"one of {', '.join(BACKENDS)}")
        if not 0 < self.port < 65536:
            raise ConfigError("settings", "port", self.port, "a TCP port 1–65535")
        for name in ("workers", "max_request_bytes", "max_files", "max_curves", "max_points"):
            if getattr(self, name) < 1:
                raise ConfigError("settings", name, getattr(self, name), "a positive integer")
        if self.max_image_pixels < 1 or self.max_concurrency < 1:
            raise ConfigError("settings", "max_image_pixels/max_concurrency", 0, "positive integers")
        if not self.timeout_s > 0:
            raise ConfigError("settings", "timeout_s", self.timeout_s, "a positive number of seconds")

    def to_env(self) -> dict[str, str]:
        """These settings as ``VOLTLENS_API_*`` variables (secrets included: keep the result private)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[_PREFIX + f.name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
        return out

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from ``VOLTLENS_API_*`` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            key = _PREFIX + f.name.upper()
            if key not in env:
                continue
            text = env[key]
            default = f.default
            try:
                if isinstance(default, bool):
                    kwargs[f.name] = text.lower() in ("1", "true", "yes")
                elif isinstance(default, int):
                    kwargs[f.name] = int(text)
                elif isinstance(default, float):
                    kwargs[f.name] = float(text)
                elif isinstance(default, tuple):
                    kwargs[f.name] = tuple(s.strip() for s in text.split(",") if s.strip())
                else:
                    kwargs[f.name] = text or None
            except ValueError:
                raise ConfigError(
                    "environment", key, text, f"a value of type {type(default).__name__}"
                ) from None
        return cls(**kwargs)  # type: ignore[arg-type]
