"""Fixtures shared across test packages: a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeServer:
    def __init__(self) -> None:
        self.replies: list[tuple[int, str]] = []  # (status, content) served in order; last one repeats
        self.requests: list[dict] = []
        self.responder = None  # optional: request body -> (status, content), instead of `replies`

    def next_reply(self, body: dict) -> tuple[int, str]:
        if self.responder is not None:
            return self.responder(body)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture
def fake_server():
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "body": body})
            status, content = state.next_reply(body)
            if status == 200:
                payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
            else:
                payload = {"error": {"message": content}}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
