"""Shared by the tests: the recordings, and clients wired to a transport or a local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelplex_testing.replay import Recording

FIXTURES = Path(__file__).parent / "fixtures"


def recording(name: str) -> Recording:
    return Recording.load(FIXTURES / f"{name}.json")


def request_body(name: str) -> Any:
    return recording(name).request_body


def lines(name: str) -> list[Any]:
    """The objects of a recorded NDJSON stream (``name`` as ``ollama/21_...``)."""
    return [json.loads(line) for line in recording(name).body_bytes().splitlines() if line.strip()]


def chunk(content: str = "", *, thinking: str | None = None, tool_calls: list[Any] | None = None,
          done: bool = False, done_reason: str | None = None, model: str = "qwen3:8b",
          stamp: str = "2025-08-20T13:48:02.294374Z", prompt: int | None = None,
          output: int | None = None) -> dict[str, Any]:
    """One object of a streamed /api/chat reply."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    out: dict[str, Any] = {"model": model, "created_at": stamp, "message": message, "done": done}
    if done_reason is not None:
        out["done_reason"] = done_reason
    if prompt is not None:
        out["prompt_eval_count"] = prompt
    if output is not None:
        out["eval_count"] = output
    return out


def call(name: str, arguments: dict[str, Any], id_: str | None = None) -> dict[str, Any]:
    wire: dict[str, Any] = {"function": {"name": name, "arguments": arguments}}
    if id_ is not None:
        wire["id"] = id_
    return wire


def layer_steps(digest: str, total: int, parts: int) -> list[dict[str, Any]]:
    """The progress lines of one layer, as Ollama sends them while downloading."""
    short = digest.removeprefix("sha256:")[:12]
    return [{"status": f"pulling {short}", "digest": digest, "total": total,
             "completed": total * i // parts} for i in range(parts + 1)]
