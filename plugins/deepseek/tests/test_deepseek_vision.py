"""DeepSeek's chat API takes text content only: an image in a user message is left out of the request,
with a ``dropped-part`` warning naming the message, and the text still goes (the compatibility
matrix's Vision cell reads "not supported" from this test)."""

from __future__ import annotations

import pytest

import modelplex
from modelplex import ImagePart, Message, TextPart
from modelplex_testing.compat_server import Reply, ScriptedServer

REPLY = {"id": "chatcmpl-vision", "object": "chat.completion", "created": 1767225600,
         "model": "deepseek-chat",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "I cannot see images."},
                      "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}}


@pytest.mark.feature("vision", provider="deepseek",
                     unsupported="DeepSeek's chat API takes text only: an image is left out with a warning")
def test_an_image_is_left_out_with_a_warning() -> None:
    image = ImagePart(data=b"\x89PNG", media_type="image/png")
    with ScriptedServer([Reply.json(REPLY)]) as server, modelplex.Client(
            providers={"deepseek": {"base_url": server.url, "api_key": "sk-vision-test-key"}},
            config_file=False, env={}) as client:
        response = client.chat("deepseek/deepseek-chat",
                               [Message.user([TextPart(text="What is this?"), image])])
    assert server.requests[0].json["messages"] == [{"role": "user", "content": "What is this?"}]
    assert [(w.code, w.field) for w in response.warnings] == [("dropped-part", "messages[0]")]
