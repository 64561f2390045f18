"""A small synchronous Python client for the voltlens REST API, returning the same pydantic types.

>>> from voltlens.client import Client
>>> with Client("http://127.0.0.1:8000") as c:
...     report = c.analyze(files=["scan.txt"])                  # AnalysisReport
...     a = c.ask("What is E1/2?", files=["scan.txt"])          # AskAnswer
...     c.analyze(curves=[CurveIn(potential=[...], current=[...], scan_rate=0.1)])

Every 4xx/5xx raises :class:`ApiError` carrying the status, the error code and the message.
Needs ``httpx`` (the ``api`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .analyze.contract import AnalysisReport
from .api.models import AskAnswer, CompareReport, CurveIn, Health
from .errors import VoltlensError

__all__ = ["ApiError", "Client"]

FileArg = str | os.PathLike[str] | tuple[str, bytes]


class ApiError(VoltlensError):
    """The server answered with an error: ``status``, ``code`` and ``message`` as it sent them."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        self.status, self.code, self.message, self.field = status, code, message, field
        super().__init__(f"HTTP {status} {code}: {message}")


class Client:
    """Talks to ``voltlens serve`` at ``base_url`` (``api_key`` goes in the X-API-Key header)."""

    def __init__(
        self, base_url: str = "http://127.0.0.1:8000", *, api_key: str | None = None, timeout: float = 120.0
    ):
        import httpx

        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------------------------------

    def _check(self, r: Any) -> Any:
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
                raise ApiError(
                    r.status_code, err.get("code", "error"), err.get("message", ""), err.get("field")
                )
            except (ValueError, KeyError, TypeError):
                raise ApiError(r.status_code, "http_error", r.text[:500]) from None
        return r.json()

    def _post(
        self,
        path: str,
        files: Sequence[FileArg] | None,
        curves: Sequence[CurveIn | dict] | None,
        fields: dict[str, Any],
    ) -> Any:
        fields = {k: v for k, v in fields.items() if v is not None}
        if (files is None) == (curves is None):
            raise ValueError("pass either files or curves")
        if curves is not None:
            body = {
                "curves": [c if isinstance(c, dict) else c.model_dump(exclude_defaults=True) for c in curves]
            }
            return self._check(self._http.post(path, json=body | fields))
        parts = []
        for f in files or ():
            if isinstance(f, tuple):
                parts.append(("files", (f[0], f[1])))
            else:
                parts.append(("files", (Path(f).name, Path(f).read_bytes())))
        form = {
            k: (",".join(map(repr, v)) if isinstance(v, list | tuple) else str(v)) for k, v in fields.items()
        }
        return self._check(self._http.post(path, files=parts, data=form))

    # ------------------------------------------------------------------------------------------

    def health(self) -> Health:
        return Health.model_validate(self._check(self._http.get("/v1/health")))

    def schema(self, name: str) -> dict[str, Any]:
        return self._check(self._http.get(f"/v1/schema/{name}"))

    def analyze(
        self,
        *,
        files: Sequence[FileArg] | None = None,
        curves: Sequence[CurveIn | dict] | None = None,
        **options: Any,
    ) -> AnalysisReport:
        """``POST /v1/analyze``; ``options``: concentrations, scan_rates, concentration_unit, diffusion_cm2_s,
        area_cm2, concentration_mM."""
        return AnalysisReport.model_validate(self._post("/v1/analyze", files, curves, options))

    def ask(
        self,
        question: str,
        *,
        files: Sequence[FileArg] | None = None,
        curves: Sequence[CurveIn | dict] | None = None,
        intent: str | None = None,
        include_report: bool = False,
        **options: Any,
    ) -> AskAnswer:
        fields = {"question": question, "intent": intent, "include_report": include_report or None, **options}
        return AskAnswer.model_validate(self._post("/v1/ask", files, curves, fields))

    def compare(
        self,
        *,
        files: Sequence[FileArg] | None = None,
        curves: Sequence[CurveIn | dict] | None = None,
        reference: int = 0,
        **options: Any,
    ) -> CompareReport:
        return CompareReport.model_validate(
            self._post("/v1/compare", files, curves, {"reference": reference, **options})
        )

    def series(
        self,
        kind: str,
        *,
        files: Sequence[FileArg] | None = None,
        curves: Sequence[CurveIn | dict] | None = None,
        **options: Any,
    ) -> AnalysisReport:
        """``POST /v1/series`` with kind "scan_rate" or "concentration"."""
        return AnalysisReport.model_validate(
            self._post("/v1/series", files, curves, {"kind": kind, **options})
        )
