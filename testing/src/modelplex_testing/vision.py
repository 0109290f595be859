"""An image sent through a plugin to a scripted Chat Completions server, for the plugins' vision tests
(the compatibility matrix's Vision cell): one reply, and the request body the server received."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import modelplex
from modelplex import ChatResponse, ImagePart, Message, TextPart
from modelplex_testing.compat_server import Reply, ScriptedServer

QUESTION = "What is this?"
IMAGE = ImagePart(data=b"\x89PNG", media_type="image/png")
#: The messages an OpenAI-format server receives for :data:`QUESTION` and :data:`IMAGE`: an ``image_url``
#: part carrying a data URL, beside the text.
SENT_AS_IMAGE_URL = [{"role": "user", "content": [
    {"type": "text", "text": QUESTION},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}]}]
ANSWER = "A red dot."


def chat_with_an_image(provider: str, model: str,
                       settings: Mapping[str, Any] | None = None) -> tuple[ChatResponse, dict[str, Any]]:
    """Ask ``provider/model`` about :data:`IMAGE` through a scripted server answering :data:`ANSWER`;
    the response and the JSON body the server received."""
    reply = {"id": "chatcmpl-vision", "object": "chat.completion", "created": 1767225600, "model": model,
             "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER},
                          "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 90, "completion_tokens": 4, "total_tokens": 94}}
    with ScriptedServer([Reply.json(reply)]) as server:
        configured = {"base_url": server.url, "api_key": f"{provider}-vision-test-key", **(settings or {})}
        with modelplex.Client(providers={provider: configured}, config_file=False, env={}) as client:
            response = client.chat(f"{provider}/{model}", [Message.user([TextPart(text=QUESTION), IMAGE])])
    sent: dict[str, Any] = server.requests[0].json
    return response, sent
