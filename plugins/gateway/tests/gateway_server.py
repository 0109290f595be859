"""What the OpenAI API and route tests stand on: the gateway under a real uvicorn on 127.0.0.1, and
loopback upstreams speaking each provider family's wire format.

:func:`served` runs :func:`modelplex_gateway.app.create_app` in a thread with its own event loop, in front
of an :class:`~modelplex.AsyncClient` built and closed in that loop. :func:`replayed` turns a recorded
exchange of a provider plugin's fixtures into a :class:`~modelplex_testing.Reply` of the scripted loopback
server, streamed event by event as it was recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import uvicorn
from modelplex_gateway.app import create_app
from modelplex_gateway.auth import authenticate_local

import modelplex
from modelplex_testing import Recording
from modelplex_testing.compat_server import Reply, ScriptedServer

PLUGINS = Path(__file__).parents[2]
UPSTREAM_KEY = "sk-upstream-secret-0123456789abcdef"


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@attrs.frozen(kw_only=True)
class Gateway:
    """A served gateway: its base URL (``/v1`` is OpenAI's) and application."""

    url: str
    app: Any

    @property
    def v1(self) -> str:
        """The base URL the OpenAI SDK takes."""
        return f"{self.url}/v1"


@contextlib.contextmanager
def served(make_client: Callable[[], modelplex.AsyncClient], host: str = "127.0.0.1") -> Iterator[Gateway]:
    """The gateway in front of ``make_client()``, served on ``host`` until the block ends."""
    port = free_port()
    holder: dict[str, Any] = {}

    async def main() -> None:
        client = make_client()
        # One user, no keys: the virtual keys have tests of their own.
        app = create_app(client, authenticate=authenticate_local)
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                               lifespan="on"))
        holder["server"], holder["app"] = server, app
        try:
            await server.serve()
        finally:
            await client.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    if not wait_for(lambda: "server" in holder and holder["server"].started, 15):
        raise RuntimeError("the gateway did not start")
    try:
        yield Gateway(url=f"http://127.0.0.1:{port}", app=holder["app"])
    finally:
        holder["server"].should_exit = True
        thread.join(15)


def client_for(providers: Mapping[str, Mapping[str, Any]],
               **kwargs: Any) -> Callable[[], modelplex.AsyncClient]:
    """A maker of clients with only ``providers`` configured (no config file, no environment)."""
    return lambda: modelplex.AsyncClient(providers=providers, config_file=False, env={}, **kwargs)


def recording(plugin: str, name: str) -> Recording:
    """A provider plugin's recorded exchange: ``plugins/<plugin>/tests/fixtures/<name>.json``."""
    return Recording.load(PLUGINS / plugin / "tests" / "fixtures" / f"{name}.json")


def replayed(rec: Recording) -> Reply:
    """``rec``'s response as the scripted server sends it: a stream event by event (SSE frames, or
    NDJSON lines), else the whole body, with the recorded status and content type."""
    headers = {"content-type": rec.content_type}
    if not rec.is_stream:
        return Reply(status=rec.status, headers=headers, body=rec.body_bytes())
    text = rec.body_bytes().decode()
    if "ndjson" in rec.content_type:
        events = [f"{line}\n".encode() for line in text.splitlines() if line.strip()]
    else:
        sep = "\r\n\r\n" if "\r\n\r\n" in text else "\n\n"
        events = [f"{frame}{sep}".encode() for frame in text.split(sep) if frame.strip()]
    return Reply(status=rec.status, headers=headers, events=events)


def openai_whole(content: str | None = "Hello!", *, tool_calls: list[dict[str, Any]] | None = None,
                 finish: str = "stop", usage: Mapping[str, int] | None = None) -> Reply:
    """A whole Chat Completions body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return Reply.json({"id": "chatcmpl-up", "object": "chat.completion", "model": "gpt-4o", "created": 1,
                       "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                       "usage": dict(usage or {"prompt_tokens": 11, "completion_tokens": 7,
                                               "total_tokens": 18})})


def openai_client(server: ScriptedServer, **settings: Any) -> Callable[[], modelplex.AsyncClient]:
    """A client whose ``openai`` provider is ``server``, on Chat Completions."""
    return client_for({"openai": {"base_url": server.url, "api_key": UPSTREAM_KEY, "api": "chat_completions",
                                  **settings}})


def sse_data(body: str) -> list[Any]:
    """The JSON of each ``data:`` line of an SSE body (``[DONE]`` as the string)."""
    out: list[Any] = []
    for line in body.splitlines():
        if line.startswith("data: "):
            data = line[len("data: "):]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``check()`` becomes true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()
