"""Replicate's language models take a text prompt: an image in a message is left out of it, with a
warning naming the message, rather than sent in some form the model would misread (the compatibility
matrix's Vision cell reads "not supported" from this test)."""

from __future__ import annotations

import pytest
from replicate_server import ReplicateServer

import modelplex
from modelplex import ImagePart, Message, TextPart

LLAMA3 = "meta/meta-llama-3-8b-instruct"


@pytest.mark.feature("vision", provider="replicate",
                     unsupported="Replicate's prompt is text: an image is left out with a warning")
def test_an_image_is_left_out_of_the_prompt_with_a_warning() -> None:
    image = ImagePart(data=b"\x89PNG", media_type="image/png")
    with ReplicateServer() as server, modelplex.Client(
            providers={"replicate": {"base_url": server.base, "api_key": "r8_vision-test-token",
                                     "poll_interval": 0.02}}, config_file=False, env={}) as client:
        response = client.chat(f"replicate/{LLAMA3}", [Message.user([TextPart(text="What is this?"), image])])
    _, _, _, body = server.requests[0]
    assert body["input"] == {"prompt": "What is this?"}
    warned = [(w.field, "ImagePart left out" in w.message) for w in response.warnings]
    assert warned == [("messages[0]", True)]
