"""The FastAPI application: routes, request parsing, limits, API key and JSON errors.

``create_app(settings)`` builds the app; ``app_from_env()`` builds it from ``VOLTLENS_API_*``
variables (the factory each ``uvicorn`` worker calls).  Every route parses its body itself so
that JSON and multipart share one endpoint and every bad input gets a 4xx JSON error naming the
problem; the analysis runs in a worker thread (bounded by ``max_concurrency``, abandoned after
``timeout_s``) so the event loop keeps serving.
"""

from __future__ import annotations

import ctypes
import hmac
import json
import logging
import os
import sys
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..analyze.contract import AnalysisReport, analysis_schema
from ..analyze.pipeline import find_digitizer
from ..errors import VoltlensError
from . import ask as ask_engine
from . import service
from .errors import RequestError, status_and_code
from .models import (
    AnalyzeRequest,
    AskAnswer,
    AskRequest,
    CompareReport,
    CompareRequest,
    CurveIn,
    ErrorOut,
    FormFields,
    Health,
    SeriesRequest,
)
from .settings import ApiSettings

__all__ = ["API_KEY_HEADER", "SCHEMA_NAMES", "app_from_env", "create_app"]

API_KEY_HEADER = "X-API-Key"
log = logging.getLogger("voltlens.api")
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

_ERRORS = {
    400: {"model": ErrorOut, "description": "malformed request (bad JSON, bad multipart)"},
    401: {"model": ErrorOut, "description": "missing or wrong API key"},
    413: {"model": ErrorOut, "description": "over a limit: body size, files, curves, points, pixels"},
    415: {"model": ErrorOut, "description": "unsupported content type"},
    422: {"model": ErrorOut, "description": "invalid fields or unusable data, naming the problem"},
}


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


# ----------------------------------------------------------------------------------------------
# ASGI gate: API key and body size, before any parsing


class Gate:
    """Checks the API key (when one is set) and buffers the body up to the size limit."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app, self.settings = app, settings

    async def _reply(self, scope: Scope, receive: Receive, send: Send, response: Response) -> None:
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        path = scope.get("path", "")
        key = self.settings.api_key
        if key and path.startswith("/v1/") and path != "/v1/health":
            given = headers.get(API_KEY_HEADER.lower().encode(), b"")
            if not hmac.compare_digest(given, key.encode()):
                await self._reply(
                    scope,
                    receive,
                    send,
                    _error(401, "unauthorized", f"missing or wrong {API_KEY_HEADER} header"),
                )
                return
        limit = self.settings.max_request_bytes
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                await self._reply(
                    scope, receive, send, _error(400, "bad_request", "Content-Length is not a number")
                )
                return
            if n > limit:
                await self._reply(scope, receive, send, _too_large(n, limit))
                return
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                await self._reply(scope, receive, send, _too_large(total, limit))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        buffered: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return buffered.pop() if buffered else await receive()

        await self.app(scope, replay, send)


def _too_large(n: int, limit: int) -> JSONResponse:
    return _error(
        413, "limit_exceeded", f"request body is {n}+ bytes, more than this server's limit of {limit}"
    )


# ----------------------------------------------------------------------------------------------
# request parsing


def _no_constants(name: str) -> float:
    raise RequestError(
        f"JSON holds {name}, which is not a number; send finite numbers", code="bad_json", status=422
    )


def _validation_message(exc: ValidationError) -> tuple[str, str | None]:
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{loc}: {err['msg']}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    first = ".".join(str(p) for p in errors[0]["loc"]) if errors else None
    return "; ".join(parts) + more, first


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, field = _validation_message(exc)
        raise RequestError(message, code="invalid_fields", status=422, field=field) from None


def _kind(request: Request) -> str:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        return "json"
    if ctype == "multipart/form-data":
        return "multipart"
    raise RequestError(
        f"content type {ctype or '(none)'!r} is not accepted; send application/json or multipart/form-data "
        "with files in the 'files' field",
        code="unsupported_media_type",
        status=415,
    )


async def _json_body(request: Request, model: type[M]) -> M:
    body = await request.body()
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except RequestError:
        raise
    except RecursionError:
        raise RequestError("JSON is nested too deeply", code="bad_json") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"body is not valid JSON ({exc})", code="bad_json") from None
    if not isinstance(data, dict):
        raise RequestError(
            f"JSON body must be an object, got {type(data).__name__}", code="bad_json", status=422
        )
    return _validate(model, data)


def _number_list(name: str, text: str) -> list[float]:
    text = text.strip()
    try:
        values = (
            json.loads(text, parse_constant=_no_constants)
            if text.startswith("[")
            else [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
        )
    except (ValueError, RecursionError):
        raise RequestError(
            f"{name}={text[:80]!r}: expected comma-separated numbers",
            code="invalid_fields",
            status=422,
            field=name,
        ) from None
    if not isinstance(values, list):
        raise RequestError(
            f"{name}: expected a list of numbers", code="invalid_fields", status=422, field=name
        )
    return values


async def _multipart(request: Request) -> tuple[list[service.Upload], FormFields]:
    settings: ApiSettings = request.app.state.settings
    try:
        form = await request.form(
            max_files=settings.max_files, max_fields=64, max_part_size=settings.max_request_bytes
        )
    except Exception as exc:  # starlette raises MultiPartException / HTTPException / ValueError
        detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        raise RequestError(f"malformed multipart body: {detail}", code="bad_multipart") from None
    try:
        uploads, fields = [], {}
        for name, value in form.multi_items():
            if name == "files":
                if isinstance(value, str):
                    raise RequestError(
                        "field 'files' must carry files (a filename in its part), not text",
                        code="invalid_fields",
                        status=422,
                        field="files",
                    )
                uploads.append(
                    service.Upload(value.filename or "upload", await value.read(), value.content_type)
                )
            elif not isinstance(value, str):
                raise RequestError(
                    f"field {name!r} carries a file; only 'files' may",
                    code="invalid_fields",
                    status=422,
                    field=name,
                )
            elif name in fields:
                raise RequestError(
                    f"field {name!r} is given twice", code="invalid_fields", status=422, field=name
                )
            elif name in ("concentrations", "scan_rates"):
                fields[name] = _number_list(name, value)
            else:
                fields[name] = value
    finally:
        await form.close()
    if not uploads:
        raise RequestError(
            "no files: send one or more files in the repeatable 'files' field",
            code="invalid_fields",
            status=422,
            field="files",
        )
    return uploads, _validate(FormFields, fields)


async def _off_loop(request: Request, fn: Callable[[], T]) -> T:
    """Run CPU work in a worker thread, bounded in number and in time."""
    state = request.app.state
    timeout = state.settings.timeout_s
    try:
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True, limiter=state.limiter)
    except TimeoutError:
        raise RequestError(
            f"the analysis took longer than this server's limit of {timeout:g} s; send fewer or shorter curves",
            code="timeout",
            status=422,
        ) from None


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


async def _curves_and_options(request: Request, model: type[M]) -> tuple[Callable[[], tuple], M | FormFields]:
    """A function giving (curves, skipped) to run off the loop, and the parsed options."""
    settings: ApiSettings = request.app.state.settings
    if _kind(request) == "json":
        body = await _json_body(request, model)
        curves: list[CurveIn] = body.curves  # type: ignore[attr-defined]
        return (lambda: (service.curves_from_arrays(curves, settings), [])), body
    uploads, fields = await _multipart(request)
    return (lambda: service.curves_from_uploads(uploads, settings)), fields


# ----------------------------------------------------------------------------------------------
# OpenAPI


async def _respond(
    request: Request, model: type[M], compute: Callable[[list, list, Any], BaseModel]
) -> Response:
    """Read the request's curves and options, then run ``compute(curves, skipped, options)`` off the loop."""
    read, options = await _curves_and_options(request, model)

    def work() -> BaseModel:
        curves, skipped = read()
        return compute(curves, skipped, options)

    return _json(await _off_loop(request, work))


def _body_spec(model: type[BaseModel], example: dict, multipart_extra: dict[str, Any]) -> dict:
    form_props: dict[str, Any] = {
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "instrument "
            "files (CHI, EC-Lab, Gamry, PalmSens, NOVA, echemdb, CSV) or plot images; repeat the field",
        },
        "concentrations": {
            "type": "string",
            "description": "comma-separated, one per curve",
            "example": "0,1,2",
        },
        "scan_rates": {"type": "string", "description": "comma-separated V/s, one per curve"},
        "concentration_unit": {"type": "string", "default": "mM"},
        "diffusion_cm2_s": {"type": "number"},
        "area_cm2": {"type": "number"},
        "concentration_mM": {"type": "number"},
        **multipart_extra,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{model.__name__}"},
                    "examples": {"arrays": {"summary": "a curve as arrays", "value": example}},
                },
                "multipart/form-data": {
                    "schema": {"type": "object", "required": ["files"], "properties": form_props},
                    "encoding": {"files": {"contentType": "application/octet-stream, image/*, text/*"}},
                },
            },
        }
    }


_EXAMPLE_CURVE = {
    "potential": [-0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2],
    "current": [0.1e-6, 0.3e-6, 1.2e-6, 3.0e-6, 2.0e-6, 1.5e-6, -0.5e-6, -2.8e-6, -1.6e-6, -0.6e-6, -0.2e-6],
    "technique": "CV",
    "scan_rate": 0.1,
    "source": "example",
}


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in (AnalyzeRequest, AskRequest, CompareRequest, SeriesRequest):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas.setdefault(name, sub)
            schemas[model.__name__] = schema
        app.openapi_schema = spec
        return spec

    return build


# ----------------------------------------------------------------------------------------------
# the app


SCHEMA_NAMES: dict[str, Callable[[], dict[str, Any]]] = {
    "analysis": analysis_schema,
    "ask": lambda: AskAnswer.model_json_schema(mode="serialization"),
    "compare": lambda: CompareReport.model_json_schema(mode="serialization"),
    "error": lambda: ErrorOut.model_json_schema(mode="serialization"),
    "analyze_request": lambda: AnalyzeRequest.model_json_schema(),
    "ask_request": lambda: AskRequest.model_json_schema(),
    "compare_request": lambda: CompareRequest.model_json_schema(),
    "series_request": lambda: SeriesRequest.model_json_schema(),
}


def _cap_malloc_arenas(n: int = 2) -> None:
    """Cap glibc's malloc arenas in this worker process.

    Analyses run on a pool of threads; glibc gives busy threads arenas of their own (up to 8 per core), and with
    images each one grows: measured with two workers, resident memory crept from 810 to 836 MiB over 150 s with
    the default and stayed at 730–750 MiB with two arenas.  ``MALLOC_ARENA_MAX`` set by the user wins.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, n)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc (musl, …): nothing to cap
        pass


def _warm_up() -> None:
    """Import and exercise the engine once, and load the digitizer's models, in this worker."""
    import numpy as np

    _cap_malloc_arenas()

    from ..analyze.pipeline import run_analysis
    from ..model import Voltammogram

    e = np.concatenate([np.linspace(-0.2, 0.4, 150), np.linspace(0.4, -0.2, 150)])
    i = 1e-6 * (np.exp(-(((e - 0.1) / 0.05) ** 2)) * np.r_[np.ones(150), -np.ones(150)])
    try:
        run_analysis([Voltammogram(potential=e, current=i, scan_rate=0.1, source="warm-up")])
    except VoltlensError:
        pass
    try:
        import voltlens.digitize as digitize

        load = getattr(digitize, "load_models", None) or getattr(digitize, "warm_up", None)
        if callable(load):
            load()
    except Exception as exc:  # a missing OCR model must not stop the data endpoints
        log.warning("digitizer warm-up failed: %s", exc)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The voltlens REST API (see ``/docs`` for the OpenAPI description)."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        app.state.limiter = anyio.CapacityLimiter(settings.max_concurrency)
        await anyio.to_thread.run_sync(_warm_up)
        app.state.image_analysis = find_digitizer() is not None
        yield

    app = FastAPI(
        title="voltlens",
        version=__version__,
        description="Analyse cyclic and differential pulse voltammograms: instrument files, plot images or "
        "arrays in, the voltlens analysis contract out; ask questions about them.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.limiter = anyio.CapacityLimiter(settings.max_concurrency)
    app.state.image_analysis = False
    _install_errors(app)
    _install_routes(app)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", API_KEY_HEADER.lower()],
        )
    app.add_middleware(Gate, settings=settings)
    return app


def app_from_env() -> FastAPI:
    """``create_app`` with settings from the ``VOLTLENS_API_*`` environment (uvicorn's factory)."""
    return create_app(ApiSettings.from_env())


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(VoltlensError)
    async def voltlens_error(request: Request, exc: VoltlensError) -> JSONResponse:
        status, code = status_and_code(exc)
        return _error(status, code, str(exc), getattr(exc, "field", None) or getattr(exc, "name", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
        return _error(422, "invalid_fields", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return _error(500, "internal_error", f"internal error ({type(exc).__name__}); this is a voltlens bug")


def _install_routes(app: FastAPI) -> None:
    settings: ApiSettings = app.state.settings

    @app.get("/v1/health", operation_id="health", response_model=Health, tags=["meta"])
    async def health(request: Request) -> Health:
        """Liveness and what this server can do."""
        return Health(
            version=__version__,
            backend=settings.backend,
            image_analysis=request.app.state.image_analysis,
            pid=os.getpid(),
        )

    @app.get("/v1/schema/{name}", operation_id="get_schema", tags=["meta"], responses={404: _ERRORS[422]})
    async def get_schema(name: str) -> dict[str, Any]:
        """JSON Schema of a published contract: analysis, ask, compare, error, labels or a request body."""
        if name in SCHEMA_NAMES:
            return SCHEMA_NAMES[name]()
        if name == "labels":
            from ..labels import labels_schema

            return labels_schema()
        known = ", ".join([*sorted(SCHEMA_NAMES), "labels"])
        raise StarletteHTTPException(404, f"no schema named {name!r}; known: {known}")

    @app.post(
        "/v1/analyze",
        operation_id="analyze",
        response_model=AnalysisReport,
        tags=["analysis"],
        responses=_ERRORS,
        openapi_extra=_body_spec(AnalyzeRequest, {"curves": [_EXAMPLE_CURVE]}, {}),
    )
    async def analyze(request: Request) -> Response:
        """Analyse curves (files, images or arrays): the same JSON as ``voltlens analyze --json``."""
        return await _respond(
            request,
            AnalyzeRequest,
            lambda curves, skipped, options: service.analysis_report(
                curves, service.options_of(options), skipped
            ),
        )

    @app.post(
        "/v1/ask",
        operation_id="ask",
        response_model=AskAnswer,
        tags=["analysis"],
        responses=_ERRORS,
        openapi_extra=_body_spec(
            AskRequest,
            {"curves": [_EXAMPLE_CURVE], "question": "What is E1/2?"},
            {
                "question": {"type": "string"},
                "intent": {"type": "string"},
                "include_report": {"type": "boolean"},
            },
        ),
    )
    async def ask(request: Request) -> Response:
        """Answer a question about the curves, with the evidence and a confidence ("cannot answer" if outside
        what the engine knows)."""

        def work(curves: list, skipped: list, options: AskRequest | FormFields) -> AskAnswer:
            if options.question is None:
                raise RequestError(
                    "field 'question' is required", code="invalid_fields", status=422, field="question"
                )
            report = service.analysis_report(curves, service.options_of(options), skipped)
            result = ask_engine.answer(report, options.question, intent=options.intent)
            if settings.backend != "engine" and (settings.backend == "openai" or not result.answered):
                from .vlm import vlm_answer

                result = vlm_answer(result, report, settings)
            return result.model_copy(update={"report": report}) if options.include_report else result

        return await _respond(request, AskRequest, work)

    @app.post(
        "/v1/compare",
        operation_id="compare",
        response_model=CompareReport,
        tags=["analysis"],
        responses=_ERRORS,
        openapi_extra=_body_spec(
            CompareRequest,
            {"curves": [_EXAMPLE_CURVE, {**_EXAMPLE_CURVE, "source": "second"}], "reference": 0},
            {"reference": {"type": "integer", "default": 0}},
        ),
    )
    async def compare(request: Request) -> Response:
        """Compare curves with a reference curve: main peak shift, current ratio, E½, ΔEp, anomalies."""

        def work(curves: list, skipped: list, options: CompareRequest | FormFields) -> CompareReport:
            if len(curves) < 2:
                raise RequestError(
                    f"comparing needs at least two curves, got {len(curves)}",
                    code="invalid_fields",
                    status=422,
                )
            report = service.analysis_report(curves, service.options_of(options), skipped)
            return service.compare_report(report, options.reference)

        return await _respond(request, CompareRequest, work)

    @app.post(
        "/v1/series",
        operation_id="series",
        response_model=AnalysisReport,
        tags=["analysis"],
        responses=_ERRORS,
        openapi_extra=_body_spec(
            SeriesRequest,
            {"curves": [_EXAMPLE_CURVE, {**_EXAMPLE_CURVE, "scan_rate": 0.4}], "kind": "scan_rate"},
            {"kind": {"type": "string", "enum": ["scan_rate", "concentration"]}},
        ),
    )
    async def series(request: Request) -> Response:
        """A scan-rate study (regime, D, αn) or a calibration (slope, linear range, LOD) over the curves."""
        return await _respond(
            request,
            SeriesRequest,
            lambda curves, skipped, options: service.series_report(
                curves, service.options_of(options), options.kind, skipped
            ),
        )
