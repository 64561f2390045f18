"""A client for any OpenAI-compatible vision-language server (swift deploy, vLLM, hosted APIs).

Standard library only (urllib).  The image travels as a base64 ``data:`` URL; a JSON-schema
``response_format`` is sent where the server accepts it (a 400 answer to it turns it off for the
client and the request is repeated without); transient failures (connection errors, 429, 5xx)
are retried with exponential back-off; :meth:`OpenAIClient.ask_many` bounds concurrency.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, ParameterError
from .prompts import SYSTEM_PROMPT

__all__ = ["OpenAIClient", "image_data_url"]

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


def image_data_url(path: str | Path) -> str:
    """The image file as a ``data:image/…;base64,`` URL."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(str(p), f"cannot be read ({exc.strerror or exc})") from None
    mime = mimetypes.guess_type(p.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@dataclass
class OpenAIClient:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 120.0
    retries: int = 2
    backoff_s: float = 1.0
    max_tokens: int = 2048
    temperature: float = 0.0
    use_response_format: bool = True
    system_prompt: str | None = SYSTEM_PROMPT
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ParameterError("--base-url", self.base_url, "an http:// or https:// URL")
        if self.retries < 0:
            raise ParameterError("retries", self.retries, "≥ 0")

    @property
    def endpoint(self) -> str:
        base = self.base_url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    def payload(
        self, image: str | Path | None, question: str, response_format: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The chat-completions body; ``image=None`` asks a text-only question."""
        messages: list[dict[str, Any]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        content: list[dict[str, Any]] = [{"type": "text", "text": question}]
        if image is not None:
            content.insert(0, {"type": "image_url", "image_url": {"url": image_data_url(image)}})
        messages.append({"role": "user", "content": content})
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        if response_format is not None and self.use_response_format:
            body["response_format"] = response_format
        return body

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(
            self.endpoint, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def chat(
        self, image: str | Path | None, question: str, *, response_format: dict[str, Any] | None = None
    ) -> str:
        """The model's text answer to ``question`` about ``image``; a DataError after the retries."""
        attempt = 0
        while True:
            body = self.payload(image, question, response_format)
            try:
                data = self._post(body)
                return str(data["choices"][0]["message"].get("content") or "")
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300] if exc.fp else ""
                if exc.code in (400, 422) and "response_format" in body:
                    with self._lock:
                        self.use_response_format = False  # server cannot do structured output: ask plainly
                    continue
                if exc.code not in RETRY_STATUS or attempt >= self.retries:
                    raise DataError(self.endpoint, f"HTTP {exc.code}: {detail or exc.reason}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt >= self.retries:
                    raise DataError(self.endpoint, f"no answer ({getattr(exc, 'reason', exc)})") from None
            except (KeyError, IndexError, json.JSONDecodeError) as exc:
                raise DataError(self.endpoint, f"not an OpenAI chat-completion answer ({exc})") from None
            time.sleep(self.backoff_s * 2**attempt)
            attempt += 1

    def ask_many(
        self,
        requests: Sequence[tuple[str | Path, str, dict[str, Any] | None]],
        *,
        concurrency: int = 4,
    ) -> list[str | Exception]:
        """Answers (or the error met) for many (image, question, response_format), ``concurrency`` at a time."""
        if concurrency < 1:
            raise ParameterError("concurrency", concurrency, "at least 1")

        def one(req: tuple[str | Path, str, dict[str, Any] | None]) -> str | Exception:
            try:
                return self.chat(req[0], req[1], response_format=req[2])
            except Exception as exc:  # each request's failure is its own result
                return exc

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(one, requests))
