"""Bad input against the real server: every malformed request gets a 4xx JSON error with a message, never a
5xx, and the server stays up (hypothesis-generated bodies, files and content types, plus the classic cases)."""

from __future__ import annotations

import json
import struct
import zlib

import httpx
import pytest
from apihelpers import cv_arrays, cv_csv, png_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINTS = ["/v1/analyze", "/v1/ask", "/v1/compare", "/v1/series"]
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _is_clean_4xx(r: httpx.Response) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    err = r.json()["error"]
    assert err["message"] and err["code"]


def _ok_or_4xx(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code >= 400:
        _is_clean_4xx(r)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
curve_like = st.fixed_dictionaries(
    {
        "potential": st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=40),
        "current": st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=40),
    },
    optional={
        "technique": st.sampled_from(["CV", "DPV", "XYZ", 3]),
        "scan_rate": st.floats(allow_nan=False, allow_infinity=False) | st.none(),
        "potential_unit": st.sampled_from(["V", "mV", "A", "furlong", ""]),
        "current_unit": st.sampled_from(["A", "µA", "mA/cm2", "V"]),
        "cycle": st.lists(st.integers(-3, 3), max_size=40),
    },
)


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=json_values)
def test_random_json_bodies(server, endpoint, body):
    _ok_or_4xx(
        httpx.post(
            server.url + endpoint, content=json.dumps(body), headers={"content-type": "application/json"}
        )
    )


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    curves=st.lists(curve_like, min_size=1, max_size=3),
    question=st.text(min_size=1, max_size=50),
)
def test_random_curves(server, endpoint, curves, question):
    body = {"curves": curves, "question": question, "kind": "scan_rate"}
    if endpoint == "/v1/analyze":
        body = {"curves": curves}
    elif endpoint == "/v1/compare":
        body = {"curves": curves, "reference": 0}
    _ok_or_4xx(httpx.post(server.url + endpoint, json=body, timeout=30))


@FUZZ
@given(
    data=st.binary(max_size=2000),
    name=st.text(max_size=30),
    ctype=st.sampled_from(["application/octet-stream", "image/png", "text/csv", "application/json", "x/y"]),
)
def test_random_files(server, data, name, ctype):
    r = httpx.post(server.url + "/v1/analyze", files=[("files", (name or "f", data, ctype))], timeout=30)
    _ok_or_4xx(r)


@FUZZ
@given(
    body=st.binary(max_size=3000),
    ctype=st.sampled_from(
        [
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain",
            "",
            "image/png",
        ]
    ),
)
def test_random_raw_bodies(server, body, ctype):
    _ok_or_4xx(httpx.post(server.url + "/v1/analyze", content=body, headers={"content-type": ctype}))


def _huge_png(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _deep(n: int) -> str:
    return "[" * n + "]" * n


CASES = {
    "truncated png": dict(files=[("files", ("plot.png", png_bytes()[:60]))]),
    "huge dimensions": dict(files=[("files", ("bomb.png", _huge_png(100_000, 100_000)))]),
    "over pixel limit": dict(files=[("files", ("big.png", _huge_png(3000, 3000)))]),
    "wrong content type": dict(content=b"potential,current\n1,2\n", headers={"content-type": "text/csv"}),
    "no content type": dict(content=b"{}"),
    "malformed multipart": dict(
        content=b'--xyz\r\nContent-Disposition: form-data; name="files"\r\n\r\nabc',
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    ),
    "multipart without boundary": dict(content=b"abc", headers={"content-type": "multipart/form-data"}),
    "text in files field": dict(data={"files": "abc"}, files=[("other", ("x.csv", b"1,2"))]),
    "no files": dict(data={"question": "x"}, files=[("nothing", ("x", b""))]),
    "empty file": dict(files=[("files", ("empty.csv", b""))]),
    "binary garbage": dict(files=[("files", ("x.dta", bytes(range(256)) * 8))]),
    "NaN arrays": dict(
        content=b'{"curves":[{"potential":[0,NaN,1],"current":[1,2,3]}]}',
        headers={"content-type": "application/json"},
    ),
    "Infinity arrays": dict(
        content=b'{"curves":[{"potential":[0,1,2],"current":[1,Infinity,3]}]}',
        headers={"content-type": "application/json"},
    ),
    "nan as string": dict(json={"curves": [{"potential": [0, "nan", 1], "current": [1, 2, 3]}]}),
    "deeply nested JSON": dict(content=_deep(100_000).encode(), headers={"content-type": "application/json"}),
    "deeply nested curves": dict(
        content=('{"curves":' + _deep(5000) + "}").encode(), headers={"content-type": "application/json"}
    ),
    "JSON not an object": dict(json=[1, 2, 3]),
    "invalid utf-8 JSON": dict(
        content=b'{"curves": "\xff\xfe"}', headers={"content-type": "application/json"}
    ),
    "unequal lengths": dict(json={"curves": [{"potential": [0, 1, 2], "current": [1, 2]}]}),
    "unknown field": dict(json={"curves": [cv_arrays()], "frobnicate": 1}),
    "bad unit": dict(json={"curves": [{**cv_arrays(), "current_unit": "parsec"}]}),
    "too many points": dict(
        json={"curves": [{"potential": [0.0, 1.0] * 15_000, "current": [0.0, 1.0] * 15_000}]}
    ),
    "body over the size limit": dict(
        content=b"x" * (3 * 1024 * 1024), headers={"content-type": "application/json"}
    ),
    "too many files": dict(files=[("files", (f"{k}.csv", b"1,2\n3,4\n")) for k in range(12)]),
    "constant curve": dict(json={"curves": [{"potential": [0.0] * 50, "current": [0.0] * 50}]}),
    "wrong per-curve count": dict(json={"curves": [cv_arrays()], "scan_rates": [0.1, 0.2]}),
    "negative scan rate": dict(json={"curves": [cv_arrays()], "scan_rates": [-0.1]}),
    "bad form number list": dict(files=[("files", ("cv.csv", cv_csv()))], data={"scan_rates": "fast"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_known_bad_inputs_are_4xx_with_a_message(server, case):
    r = httpx.post(server.url + "/v1/analyze", timeout=30, **CASES[case])
    _is_clean_4xx(r)


def test_size_and_pixel_limits_use_413(server):
    for case in ("huge dimensions", "over pixel limit", "too many points", "body over the size limit"):
        r = httpx.post(server.url + "/v1/analyze", timeout=30, **CASES[case])
        assert r.status_code == 413, (case, r.text)


def test_server_is_still_up_and_correct(server):
    assert server.alive()
    r = httpx.post(server.url + "/v1/analyze", json={"curves": [cv_arrays()]}, timeout=30)
    assert r.status_code == 200 and r.json()["curves"][0]["couples"]
