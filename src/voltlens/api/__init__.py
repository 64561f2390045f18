"""REST API of voltlens (``voltlens serve``): analyse, ask, compare and series over HTTP.

>>> from voltlens.api import ApiSettings, create_app
>>> app = create_app(ApiSettings(api_key="secret"))     # a FastAPI app; run it with uvicorn

Needs the ``api`` extra (FastAPI, uvicorn, python-multipart).  The request and response models
(:mod:`voltlens.api.models`) and the ask engine (:mod:`voltlens.api.ask`) need only pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import ApiSettings

if TYPE_CHECKING:
    from .app import app_from_env, create_app

__all__ = ["ApiSettings", "app_from_env", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "app_from_env"):
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
