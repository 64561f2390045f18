"""Fixtures of the API tests: one real server process on 127.0.0.1 for the session (torn down at the end)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apihelpers import Server, cv_csv, start_server, stop


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = start_server()
    try:
        yield srv
    finally:
        stop(srv.process)


@pytest.fixture(scope="session")
def cv_bytes() -> bytes:
    return cv_csv()
