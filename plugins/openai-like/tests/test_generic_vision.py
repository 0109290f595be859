"""Vision on the wire: an image in a user message goes to a configured OpenAI-compatible server as an OpenAI
``image_url`` part carrying a data URL, beside the text, with nothing warned (the compatibility matrix's
Vision cell)."""

from __future__ import annotations

from typing import Any

import pytest

import modelplex
from modelplex import ImagePart, Message, TextPart
from modelplex_testing.compat_server import Reply, ScriptedServer

MODEL = "qwen2.5-vl-7b-instruct"
REPLY = {"id": "chatcmpl-vision", "object": "chat.completion", "created": 1767225600, "model": MODEL,
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "A red dot."},
                      "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 90, "completion_tokens": 4, "total_tokens": 94}}


@pytest.mark.feature("vision", provider="openai-like")
def test_an_image_goes_as_an_image_url_data_url() -> None:
    image = ImagePart(data=b"\x89PNG", media_type="image/png")
    with ScriptedServer([Reply.json(REPLY)]) as server:
        settings: dict[str, Any] = {"base_url": server.url, "api_key": "sk-vision-test-key"}
        with modelplex.Client(providers={"openai-like": settings}, config_file=False, env={}) as client:
            response = client.chat(f"openai-like/{MODEL}",
                                   [Message.user([TextPart(text="What is this?"), image])])
    assert (response.text, response.warnings) == ("A red dot.", ())
    assert server.requests[0].json["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}}]}]
