"""MCP server of voltlens (``voltlens mcp``): the analysis as tools an LLM agent can call.

Tools ``analyze_voltammogram``, ``ask_about_voltammogram``, ``compare_voltammograms`` and
``analyze_series`` take local file paths (instrument files or plot images) or curves as arrays,
and return the published contracts (:class:`~voltlens.analyze.contract.AnalysisReport`,
:class:`~voltlens.api.models.AskAnswer`, :class:`~voltlens.api.models.CompareReport`) as structured
content whose output schemas are those contracts' JSON Schemas.  Same limits and code path as the
REST API (:mod:`voltlens.api.service`).  Needs the MCP Python SDK (``mcp>=2``, ``api`` extra).

>>> server = build_server()
>>> server.run("stdio")                                        # or run_http(server, port=8765)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from .analyze.contract import AnalysisReport
from .api import ask as ask_engine
from .api import service
from .api.models import INTENTS, AskAnswer, CompareReport, CurveIn
from .api.settings import ApiSettings
from .errors import DataError, ParameterError, VoltlensError

__all__ = ["TOOLS", "build_server", "run_http"]

TOOLS = ("analyze_voltammogram", "ask_about_voltammogram", "compare_voltammograms", "analyze_series")

Paths = Annotated[
    list[str] | None,
    Field(
        description="local instrument files (CHI, EC-Lab, Gamry, PalmSens, NOVA, echemdb, CSV) or plot images"
    ),
]
Curves = Annotated[list[CurveIn] | None, Field(description="curves as arrays (SI units unless stated)")]
Numbers = Annotated[list[float] | None, Field(description="one per curve")]


@contextmanager
def _tool_errors() -> Iterator[None]:
    """A user's bad input becomes a tool error whose text names the problem (not a hidden internal error)."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        yield
    except VoltlensError as exc:
        raise ToolError(str(exc)) from exc


def _curves(paths: list[str] | None, curves: list[CurveIn] | None, settings: ApiSettings):  # type: ignore[no-untyped-def]
    if bool(paths) == bool(curves):
        raise ParameterError(
            "paths/curves", None, "either paths (files) or curves (arrays), not both or neither"
        )
    if curves:
        return service.curves_from_arrays(curves, settings), []
    uploads = []
    for p in paths or []:
        path = Path(p).expanduser()
        if not path.is_file():
            raise DataError(p, "no such file")
        size = path.stat().st_size
        if size > settings.max_request_bytes:
            raise DataError(p, f"is {size} bytes, more than the limit of {settings.max_request_bytes}")
        uploads.append(service.Upload(str(path), path.read_bytes()))
    return service.curves_from_uploads(uploads, settings)


def _options(concentrations, scan_rates, concentration_unit, area_cm2, concentration_mM):  # type: ignore[no-untyped-def]
    from .analyze.pipeline import AnalysisOptions

    return AnalysisOptions(
        concentrations=None if concentrations is None else tuple(concentrations),
        scan_rates=None if scan_rates is None else tuple(scan_rates),
        concentration_unit=concentration_unit,
        area_cm2=area_cm2,
        concentration_mM=concentration_mM,
    )


def build_server(settings: ApiSettings | None = None):  # type: ignore[no-untyped-def]
    """An ``mcp.server.mcpserver.MCPServer`` with the four voltlens tools."""
    from mcp.server.mcpserver import MCPServer

    settings = settings or ApiSettings()
    mcp = MCPServer(
        name="voltlens",
        instructions="Analyse cyclic and differential pulse voltammograms (files, plot images or arrays): peaks, "
        "E½, ΔEp, reversibility, anomalies, scan-rate and calibration series. Currents in A, potentials in V.",
        log_level="WARNING",
    )

    @mcp.tool(name="analyze_voltammogram", title="Analyse voltammograms")
    def analyze_voltammogram(
        paths: Paths = None,
        curves: Curves = None,
        concentrations: Numbers = None,
        scan_rates: Numbers = None,
        concentration_unit: str = "mM",
        area_cm2: float | None = None,
        concentration_mM: float | None = None,
    ) -> AnalysisReport:
        """Peaks, redox couples (E½, ΔEp, reversibility), anomalies, an optional series study and a plain-language
        interpretation: the same JSON as `voltlens analyze --json`."""
        with _tool_errors():
            vs, skipped = _curves(paths, curves, settings)
            opts = _options(concentrations, scan_rates, concentration_unit, area_cm2, concentration_mM)
            return service.analysis_report(vs, opts, skipped)

    @mcp.tool(name="ask_about_voltammogram", title="Ask about voltammograms")
    def ask_about_voltammogram(
        question: Annotated[str, Field(min_length=1, max_length=2000)],
        paths: Paths = None,
        curves: Curves = None,
        intent: Annotated[
            Literal[INTENTS] | None,  # type: ignore[valid-type]
            Field(description="skip the wording and ask for one known answer"),
        ] = None,
        concentrations: Numbers = None,
        scan_rates: Numbers = None,
    ) -> AskAnswer:
        """Answer a question (peak count, peak potentials/currents, E½, ΔEp, ipa/ipc, reversibility, anomalies,
        scan-rate dependence, trend, LOD, calibration) with evidence numbers and a confidence; answered=false
        when the data cannot settle it."""
        with _tool_errors():
            vs, skipped = _curves(paths, curves, settings)
            report = service.analysis_report(
                vs, _options(concentrations, scan_rates, "mM", None, None), skipped
            )
            return ask_engine.answer(report, question, intent=intent)

    @mcp.tool(name="compare_voltammograms", title="Compare voltammograms")
    def compare_voltammograms(
        paths: Paths = None,
        curves: Curves = None,
        reference: Annotated[int, Field(ge=0, description="index of the reference curve")] = 0,
    ) -> CompareReport:
        """Each curve against a reference: main peak shift, current ratio, E½, ΔEp and anomalies."""
        with _tool_errors():
            vs, skipped = _curves(paths, curves, settings)
            if len(vs) < 2:
                raise DataError("curves", f"comparing needs at least two curves, got {len(vs)}")
            report = service.analysis_report(vs, _options(None, None, "mM", None, None), skipped)
            return service.compare_report(report, reference)

    @mcp.tool(name="analyze_series", title="Scan-rate or concentration series")
    def analyze_series(
        kind: Literal["scan_rate", "concentration"],
        paths: Paths = None,
        curves: Curves = None,
        concentrations: Numbers = None,
        scan_rates: Numbers = None,
        concentration_unit: str = "mM",
        area_cm2: float | None = None,
        concentration_mM: float | None = None,
    ) -> AnalysisReport:
        """A scan-rate study (log-log slope, diffusion vs surface control, D, αn) or a calibration (slope,
        linear range, LOD/LOQ) over several curves."""
        with _tool_errors():
            vs, skipped = _curves(paths, curves, settings)
            opts = _options(concentrations, scan_rates, concentration_unit, area_cm2, concentration_mM)
            return service.series_report(vs, opts, kind, skipped)

    return mcp


def run_http(server, *, host: str = "127.0.0.1", port: int = 8765, path: str = "/mcp") -> None:  # type: ignore[no-untyped-def]
    """Serve over MCP streamable HTTP (loopback by default)."""
    server.run("streamable-http", host=host, port=port, streamable_http_path=path)
