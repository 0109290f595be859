"""The recording format the replay and contract kit reads, checked: :func:`validate`, and captured:
:class:`Recorder`.

One file holds one HTTP exchange, as ``docs/recordings.md`` specifies (format 1)::

    {"format": 1,                                   # optional; absent means 1
     "source": {...}, "description": "...",
     "request":  {"method": "POST", "url": "https://...", "headers": {...}, "body": {...}},
     "response": {"status": 200, "headers": {"content-type": "..."}, "body": {...}}}
                                                    # or "body_text": "<raw SSE / NDJSON / text>"

:func:`validate` holds the spec as code: the document and this module change together, and a test
validates every fixture the plugins' contract tests replay, so neither can drift from what is on disk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from modelplex_testing._recorder import Recorder

__all__ = ["FORMAT", "REQUEST_HEADERS", "RESPONSE_HEADERS", "SECRET_HEADERS", "SECRET_QUERY",
           "Recorder", "RecordingFormatError", "validate"]

FORMAT = 1
# The only headers a recording keeps: what changes how a server reads a request or how a client reads
# an answer. Anything else (authorization, cookies, organisation ids, rate-limit counters) stays out.
REQUEST_HEADERS = frozenset({"content-type", "accept", "anthropic-version", "anthropic-beta"})
RESPONSE_HEADERS = frozenset({"content-type", "retry-after", "retry-after-ms"})
# Headers and query parameters that carry a key: never kept, and their values scrubbed from bodies.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-goog-api-key",
                            "proxy-authorization", "cookie"})
SECRET_QUERY = frozenset({"key", "api_key", "api-key", "access_token"})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
STREAM_TYPES = ("text/event-stream", "application/x-ndjson")

_TOP = {"format", "source", "description", "request", "response"}
_REQUIRED_TOP = ("source", "description", "request", "response")
_REQUEST = {"method", "url", "headers", "body"}
_RESPONSE = {"status", "headers", "body", "body_text"}
_HEADER_NAME = re.compile(r"^[a-z0-9-]+$")


class RecordingFormatError(ValueError):
    """A recording that breaks the format: ``path`` is the file, ``field`` where in it
    (``"response.status"``), ``problem`` what is wrong."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path}: {field}: {problem}")


def validate(path: str | Path) -> dict[str, Any]:
    """The recording at ``path``, parsed, once it is checked against format 1; else
    :class:`RecordingFormatError` naming the file and the first field that breaks it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordingFormatError(path, "(file)", f"not a readable UTF-8 JSON file: {exc}") from None
    validate_data(data, path)
    return dict(data)


def validate_data(data: Any, path: Path | str = "<recording>") -> None:
    """:func:`validate` for a recording already parsed (``path`` only names it in the error)."""
    _Check(Path(path)).recording(data)


def is_stream_type(content_type: str) -> bool:
    """Whether a response of this content type is a stream of events (kept as ``body_text``)."""
    return any(t in content_type.lower() for t in STREAM_TYPES)


class _Check:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> RecordingFormatError:
        return RecordingFormatError(self.path, field, problem)

    def obj(self, value: Any, field: str, allowed: set[str], required: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, f"must be a JSON object, not {type(value).__name__}")
        for key in required:
            if key not in value:
                raise self.fail(f"{field}.{key}" if field != "(top)" else key, "is required")
        for key in value:
            if key not in allowed:
                raise self.fail(f"{field}.{key}" if field != "(top)" else key,
                                f"is not a field of format {FORMAT} (allowed: {', '.join(sorted(allowed))})")
        return value

    def recording(self, data: Any) -> None:
        top = self.obj(data, "(top)", _TOP, _REQUIRED_TOP)
        fmt = top.get("format", FORMAT)
        if type(fmt) is not int or fmt != FORMAT:
            raise self.fail("format", f"must be {FORMAT} (the only version this kit reads); got {fmt!r}")
        if not isinstance(top["description"], str) or not top["description"].strip():
            raise self.fail("description", "must be a non-empty string saying what the exchange shows")
        self.source(top["source"])
        self.request(top["request"])
        self.response(top["response"])

    def source(self, value: Any) -> None:
        if not isinstance(value, dict) or not value:
            raise self.fail("source", "must be a non-empty JSON object saying where the exchange came from")
        if "repo" in value:  # copied from a public project: which file, at which commit, under which licence
            for key in ("path", "commit", "license"):
                if not isinstance(value.get(key), str) or not value[key]:
                    raise self.fail(f"source.{key}", "is required (a string) when source.repo is given")
        elif not isinstance(value.get("kind"), str) or not value["kind"]:
            raise self.fail("source.kind", "is required (a string) when source.repo is not given")

    def headers(self, value: Any, field: str, kept: frozenset[str]) -> None:
        if not isinstance(value, dict):
            raise self.fail(field, "must be a JSON object of header name to string value")
        for name, text in value.items():
            where = f"{field}.{name}"
            if not _HEADER_NAME.match(name):
                raise self.fail(where, "header names are lower case")
            if name in SECRET_HEADERS:
                raise self.fail(where, "carries a credential and must never be recorded")
            if name not in kept:
                raise self.fail(where, f"is not a kept header (kept: {', '.join(sorted(kept))})")
            if not isinstance(text, str):
                raise self.fail(where, "must be a string")

    def request(self, value: Any) -> None:
        req = self.obj(value, "request", _REQUEST, ("method", "url", "headers"))
        if req["method"] not in METHODS:
            raise self.fail("request.method", f"must be an upper-case HTTP method; got {req['method']!r}")
        url = req["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.fail("request.url", f"must be an absolute http(s) URL; got {url!r}")
        for name, _ in parse_qsl(parts.query, keep_blank_values=True):
            if name.lower() in SECRET_QUERY:
                raise self.fail("request.url",
                                f"the query parameter {name!r} carries a key and must be removed")
        if parts.username or parts.password:
            raise self.fail("request.url", "must not carry credentials")
        self.headers(req["headers"], "request.headers", REQUEST_HEADERS)

    def response(self, value: Any) -> None:
        res = self.obj(value, "response", _RESPONSE, ("status", "headers"))
        status = res["status"]
        if type(status) is not int or not 100 <= status <= 599:
            raise self.fail("response.status", f"must be an HTTP status code (an integer); got {status!r}")
        self.headers(res["headers"], "response.headers", RESPONSE_HEADERS)
        if ("body" in res) == ("body_text" in res):
            raise self.fail("response.body",
                            "exactly one of body (parsed JSON) and body_text (raw text) is given")
        content_type = str(res["headers"].get("content-type", ""))
        if "body_text" in res:
            if not isinstance(res["body_text"], str):
                raise self.fail("response.body_text", "must be a string (the raw payload, UTF-8)")
        elif is_stream_type(content_type):
            raise self.fail("response.body", f"a {content_type} stream is kept verbatim as body_text")


def __getattr__(name: str) -> Any:
    # The recorder pulls httpx in; validating a file does not need it.
    if name == "Recorder":
        from modelplex_testing._recorder import Recorder

        return Recorder
    raise AttributeError(name)
